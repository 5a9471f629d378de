#include "tar_edit.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdexcept>

namespace airlock::store_testing {

std::vector<TarEntry> read_tar(const std::filesystem::path& p) {
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, p.c_str(), 1 << 16) != ARCHIVE_OK) throw std::runtime_error("open tar");
  std::vector<TarEntry> out;
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.data.resize(static_cast<size_t>(archive_entry_size(e)));
    if (!t.data.empty()) archive_read_data(a, t.data.data(), t.data.size());
    out.push_back(std::move(t));
  }
  archive_read_free(a);
  return out;
}

void write_tar(const std::filesystem::path& p, const std::vector<TarEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, p.c_str()) != ARCHIVE_OK) throw std::runtime_error("create tar");
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_perm(e, 0644);
    switch (t.kind) {
      case TarEntry::File:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
        break;
      case TarEntry::Dir: archive_entry_set_filetype(e, AE_IFDIR); break;
      case TarEntry::Symlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.link.c_str());
        break;
      case TarEntry::Hardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.link.c_str());
        break;
      case TarEntry::CharDevice:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(1, 3));
        break;
      case TarEntry::Fifo: archive_entry_set_filetype(e, AE_IFIFO); break;
    }
    archive_write_header(a, e);
    if (t.kind == TarEntry::File && !t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace airlock::store_testing
