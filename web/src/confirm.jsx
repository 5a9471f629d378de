// A modal question before something that cannot be undone (or is worth a second look): Cancel has
// the focus, Escape cancels, and the browser returns focus to the button that opened it.
import { useEffect, useRef } from 'preact/hooks';

export function Confirm({ title, text, action, onConfirm, onCancel }) {
  const ref = useRef();
  useEffect(() => { ref.current.showModal(); }, []);
  return (
    <dialog ref={ref} class="dialog" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" onClose={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      <p id="confirm-text">{text}</p>
      <div class="row end">
        <button type="button" autofocus onClick={() => ref.current.close()}>Cancel</button>
        <button type="button" class="danger" onClick={onConfirm}>{action}</button>
      </div>
    </dialog>
  );
}
