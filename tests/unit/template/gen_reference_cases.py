#!/usr/bin/env python3
"""Writes reference_cases.inc: each template below rendered by Python Jinja2 (the reference
implementation), set up like the model hubs render chat templates (sandboxed, trim_blocks,
lstrip_blocks, loop controls, tojson without ASCII escaping, raise_exception, strftime_now; the mutable
sandbox, since templates call list.append) or as
a plain Environment. Run it where jinja2 is installed, with the fixtures folder as argument; the C++ tests compare against its output."""
import copy
import datetime
import json
import sys

import jinja2
from jinja2.sandbox import SandboxedEnvironment

DATE = datetime.date(2026, 1, 15)


def chat_env():
    env = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def raise_exception(msg):
        raise jinja2.exceptions.TemplateError(msg)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: DATE.strftime(fmt)
    return env


def plain_env():
    env = jinja2.Environment(extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = chat_env().filters["tojson"]
    return env


CTX = {
    "items": [3, 4, 5],
    "d": {"b": [1, {"x": "y"}], "a": "ü"},
    "users": [{"name": "bo", "active": True, "age": 3}, {"name": "al", "active": False},
              {"name": "cy", "active": True, "age": 4}],
}

WS = ("{% if true %}\n  yes\n{% endif %}\n  {%- if true -%}  x  {%- endif %}\n{{- ' y ' -}}\n"
      "  {# comment #}\nend\n    {%+ if true %}kept{% endif %}\n  {% if true %}\n"
      "    {{ 'in' }}\n  {% endif %}\n{% for i in [1, 2] %}\n{{ i }}\n{% endfor %}\n")

CASES = [
    ("literals", "{{ 'a\\tb' }}|{{ \"x\\\"y\" }}|{{ 1 }}|{{ 1.5 }}|{{ true }}{{ True }}|{{ none }}{{ None }}|"
     "{{ [1, 'a', none, true] }}|{{ {'k': 'v', 'n': 1} }}|{{ 'adj' 'acent' }}|{{ 1_000 }}|{{ 2.5e3 }}"),
    ("arithmetic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} "
     "{{ 7 / 2 }} {{ 2 ** 10 }} {{ 'a' ~ 1 ~ none }} {{ 'ab' * 3 }} {{ 1.0 + 2 }} {{ 0.1 + 0.2 }} "
     "{{ 1e20 }} {{ 1e-5 }} {{ 100.0 }} {{ 1 / 3 }} {{ -5 }} {{ 2 ** 3 ** 2 }} {{ 10 - 2 - 3 }} {{ 7.5 // 2 }}"),
    ("logic", "{{ 1 < 2 and 'b' > 'a' }} {{ not 1 == 1 }} {{ 'a' in 'cat' }} {{ 3 not in [1, 2] }} "
     "{{ 'k' in {'k': 1} }} {{ none or 'x' }} {{ 0 and 1 }} {{ 'y' if false else 'n' }} "
     "[{{ 'y' if false }}] {{ 1 != 1.0 }} {{ [1, 2] == [1, 2] }} {{ 1 <= 1 >= 0 }} {{ not none }}"),
    ("tests", "{% for v in [none, 1, 1.5, 'a', [1], {'a': 1}, true] %}{{ v is none }},{{ v is number }},"
     "{{ v is integer }},{{ v is string }},{{ v is mapping }},{{ v is iterable }},{{ v is sequence }},"
     "{{ v is boolean }},{{ v is defined }};{% endfor %}{{ x is undefined }}{{ x is defined }}"
     "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}"
     "{{ 'a' is equalto 'a' }}{{ 1 is eq 2 }}{{ true is true }}{{ false is false }}{{ 1 is not none }}"
     "{{ x is iterable }}{{ 1.5 is float }}{{ 'abc' is lower }}"),
    ("loop_vars", "{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
     "{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}"
     "{{ loop.cycle('a', 'b') }}|{% endfor %}"),
    ("for_else_if", "{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in range(10) if x is odd %}"
     "{{ x }}/{{ loop.length }} {% endfor %}|{% for x in range(2, 11, 3) %}{{ x }}{% endfor %}"
     "|{% for x in range(5, 0, -2) %}{{ x }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}"),
    ("unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in d|items %}{{ k }}"
     "{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}"),
    ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}"
     "{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(3) %}{% for j in range(3) %}"
     "{% if j == 1 %}{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}{% endfor %}"),
    ("set_scope", "{% set x = 1 %}{% for i in range(3) %}{% set x = i %}{% endfor %}{{ x }}|"
     "{% set ns = namespace(c=0, s='') %}{% for i in range(4) %}{% set ns.c = ns.c + i %}"
     "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.c }}{{ ns.s }}|{% set a, b = 1, 2 %}{{ a }}{{ b }}|"
     "{% set blk %}B{{ a }}{% endset %}{{ blk }}|{% if true %}{% set y = 5 %}{% endif %}{{ y }}"),
    ("macros", "{% macro m(a, b='d', c=none) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, 2) }}"
     "{{ m(1, c=3) }}{{ m(a='k') }}{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}"
     "{% endmacro %}{{ rec(3) }}{% set g = 'glob' %}{% macro sees() %}{{ g }}{% endmacro %}{{ sees() }}"),
    ("string_filters", "{{ '  x y  '|trim }}|{{ 'abc'|upper }}{{ 'ABC'|lower }}|{{ 'hello world'|capitalize }}|"
     "{{ 'hello wORLD'|title }}|{{ 'aXbX'|replace('X', '-') }}|{{ 'aXbX'|replace('X', '-', 1) }}|"
     "{{ undefined_var|default('dflt') }}|{{ ''|default('e', true) }}|{{ ''|d('e') }}|{{ 'abc'|length }}"
     "{{ 'hé'|length }}{{ [1, 2]|count }}|{{ ['a', 'b']|join(', ') }}|{{ [1, 2, 3]|first }}{{ [1, 2, 3]|last }}|"
     "{{ 'ab'|list }}|{{ 12|string }}|{{ '42'|int + 1 }}|{{ '3.5'|float }}|{{ 'x'|int }}|{{ -3|abs }}|"
     "{{ 2.567|round(2) }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.1|round(method='ceil') }}|{{ 'a<b'|escape }}|"
     "{{ 'one two  three'|wordcount }}|{{ 'x'|safe }}"),
    ("tojson", "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'ü\"\\n<'|tojson }}|{{ [1, 2.5, none, true]|tojson }}|"
     "{{ {}|tojson }}{{ []|tojson(indent=2) }}|{{ {'a': []}|tojson(indent=4) }}|{{ 1.0|tojson }}"),
    ("select_map", "{{ users|selectattr('active')|map(attribute='name')|join(',') }}|"
     "{{ users|rejectattr('active')|map(attribute='name')|list }}|"
     "{{ users|selectattr('name', 'equalto', 'bo')|list|length }}|{{ [1, 2, 3, 4]|select('odd')|list }}|"
     "{{ [1, 2, 3, 4]|reject('even')|list }}|{{ ['a', 'B']|map('upper')|list }}|"
     "{{ users|map(attribute='age', default=0)|sum }}|{{ none|selectattr('x')|list }}|"
     "{{ [0, 1, '', 'a']|select|list }}|{{ users|map(attribute='name')|map('replace', 'o', '0')|join }}"),
    ("sorting", "{{ [3, 1, 2]|sort }}{{ [3, 1, 2]|sort(reverse=true) }}|"
     "{{ users|sort(attribute='name')|map(attribute='name')|join }}|{{ ['a', 'A', 'b']|unique|list }}|"
     "{{ {'b': 1, 'a': 2}|dictsort }}|{{ {'b': 1, 'a': 2}|dictsort(by='value', reverse=true) }}|"
     "{{ [1, 2, 3]|reverse|list }}{{ 'abc'|reverse }}|{{ [1, 2, 3]|sum }}{{ [1.5, 2]|sum }}|"
     "{{ [1, 2, 3, 4, 5]|batch(2)|list }}|{{ ['b', 'A', 'c']|sort }}|{{ ['b', 'A']|sort(case_sensitive=true) }}"),
    ("indent", "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|"
     "{{ 'a\\n\\nb'|indent(width='> ', blank=true) }}|{{ 'x\\ny'|indent }}|{{ 'z\\n'|indent(1, first=true) }}"),
    ("str_methods", "{{ '  xx  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|"
     "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|"
     "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}|"
     "{{ 'a-b'.replace('-', '+') }}|{{ 'hi there'.title() }}|{{ 'hello'.find('l') }}{{ 'hello'.find('z') }}"
     "{{ 'hello'.count('l') }}|{{ ', '.join(['a', 'b']) }}|{{ '{} and {}'.format(1, 'x') }}|"
     "{{ '{0}{n}{{}}'.format('p', n='q') }}|{{ 'héllo'.find('l') }}|{{ 'ab\\ncd'.splitlines() }}|{{ 'x'.rstrip('\\n') }}"),
    ("dict_list_methods", "{{ d.get('a') }}{{ d.get('zz', 'def') }}{{ d.get('zz') }}|{{ d.keys()|list }}"
     "{{ d.values()|list }}|{% set l = [1] %}{{ l.append(2) }}{{ l }}{{ l.pop() }}{{ l }}{{ [5, 6, 7].index(6) }}|"
     "{% set m = {} %}{{ m.update({'k': 1}) }}{{ m }}|{{ [1, 2, 3].pop(0) }}{{ d.items()|list|length }}"),
    ("slicing", "{{ 'abcdef'[1:3] }}|{{ 'abcdef'[::-1] }}|{{ 'abcdef'[-2:] }}|{{ [1, 2, 3, 4][::2] }}|"
     "{{ [1, 2, 3, 4][-3:-1] }}|{{ 'abcdef'[:-2] }}|{{ 'héllo'[1:3] }}|{{ [1, 2, 3][5:] }}|{{ 'abc'[1] }}|"
     "{{ [1, 2, 3][-1] }}|{{ [1, 2, 3, 4, 5][4:0:-2] }}|{{ 'abc'[-10:10] }}|{{ [1, 2, 3][10] }}|{{ items.0 }}"),
    ("whitespace", WS),
    ("repr", "{{ [1, 'a', none, true, 1.0, {'k': 'v'}, \"it's\", 'q\"', 'b\\\\s', 'n\\nl'] }}|{{ {'a': [1, 2]} }}|"
     "{{ [[]] }}{{ {} }}|{{ 1e16 }} {{ 123456789.125 }} {{ 0.0001 }} {{ -0.0 }} {{ 1e100 }}"),
    ("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}|{% filter replace('a', 'b')|upper %}aa{% endfilter %}"),
    ("strftime", "{{ strftime_now('%Y-%m-%d %b %A %d %B %j') }}"),
    ("missing_attrs", "[{{ d.missing }}]{{ d.missing is defined }}[{{ d['missing'] }}][{{ none.x }}]"
     "{{ d.b[1].x }}{{ d['b'][0] }}{{ d.a.upper() }}[{{ d.nope|default('z') }}]"),
    ("escapes", "{{ 'a\\\\b' }}|{{ '\\u00e9' }}|{{ \"tab\\tx\" }}|{{ '\\x41' }}|{{ 'it\\'s' }}"),
    ("constructors", "{{ dict(a=1, b='x') }}|{{ {'a': {'b': [1, {'c': none}]}}['a']['b'][1]['c'] }}|"
     "{{ namespace(a=1).a }}|{{ range(3)|list }}|{{ (1, 2)|list }}|{{ [1, 2] + [3] }}|{{ 'a' + 'b' }}"),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}"
     "{{ loop.index }}|{% endfor %}"),
    ("conditionals", "{% if 0 %}a{% elif '' %}b{% elif [0] %}c{% else %}d{% endif %}|"
     "{% if none %}a{% else %}e{% endif %}|{% if x is defined and x.y %}bad{% else %}ok{% endif %}"),
]

ERROR_CASES = [
    ("raise", "{% if true %}{{ raise_exception('System role not supported') }}{% endif %}",
     "System role not supported"),
    ("undefined_attr", "{{ x.y }}", "'x' is undefined"),
    ("undefined_chain", "{{ d.a.b.c }}", "'str object' has no attribute 'b'"),
    ("unknown_filter_at_render", "{{ 1 }}{{ 'a'|no_such_filter }}", "no_such_filter"),
    ("div_zero", "{{ 1 // 0 }}", "division"),
    ("not_callable", "{{ items() }}", "not callable"),
]


# Fixture chat templates rendered with tools and tool calls, which the fixtures' own cases lack.
TOOL_TEMPLATES = [
    "Qwen-Qwen2.5-7B-Instruct.jinja",
    "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "meta-llama-Llama-3.2-3B-Instruct.jinja",
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
    "meetkai-functionary-medium-v3.2.jinja",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja",
    "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja",
]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. Zürich"},
        "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}]
TOOL_MESSAGES = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [{"id": "abc123XYZ", "type": "function", "function": {
        "name": "get_weather", "arguments": {"city": "Zürich", "unit": "c"}}}]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "name": "get_weather", "content": "{\"temp\": 21.5}"},
    {"role": "assistant", "content": "It is 21.5 °C."},
    {"role": "user", "content": "Thanks!"},
]
TOOL_CONTEXT = {"messages": TOOL_MESSAGES, "tools": TOOLS, "add_generation_prompt": True,
                "bos_token": "<BOS>", "eos_token": "<EOS>"}


def cxx(s):
    # Raw string with a delimiter that cannot occur in the data.
    assert ")~J\"" not in s
    return 'R"~J(' + s + ')~J"'


def main():
    out = ["// Generated by gen_reference_cases.py with Jinja2 " + jinja2.__version__ + "; do not edit.",
           "// {name, template, chat (hub settings) or plain Environment, expected output}"]
    ctx_json = json.dumps(CTX, ensure_ascii=False)
    out.append("static const char* const kReferenceContext = " + cxx(ctx_json) + ";")
    out.append("static const ReferenceCase kReferenceCases[] = {")
    for name, src in CASES:
        for chat in (True, False):
            if not chat and name not in ("whitespace", "literals", "loop_vars", "macros"):
                continue
            env = chat_env() if chat else plain_env()
            if not chat:
                env.globals["strftime_now"] = lambda fmt: DATE.strftime(fmt)
            rendered = env.from_string(src).render(**CTX)
            out.append("    {" + json.dumps(name) + ", " + cxx(src) + ", " + ("true" if chat else "false") + ", " +
                       cxx(rendered) + "},")
    out.append("};")
    out.append("static const ReferenceError kReferenceErrors[] = {")
    for name, src, want in ERROR_CASES:
        try:
            chat_env().from_string(src).render(**CTX)
            raise SystemExit(name + ": expected an error")
        except Exception as e:  # Jinja2 raises Python's own errors (ZeroDivisionError, TypeError) too
            if want not in str(e):
                raise SystemExit(name + ": Jinja2 says " + str(e))
        out.append("    {" + json.dumps(name) + ", " + cxx(src) + ", " + json.dumps(want) + "},")
    out.append("};")
    out.append("static const ReferenceTemplate kToolRenders[] = {")
    fixtures = sys.argv[1]
    for name in TOOL_TEMPLATES:
        src = open(fixtures + "/templates/" + name, encoding="utf-8").read()
        # Templates disagree on whether tool-call arguments are a dict or a JSON string.
        ctx = copy.deepcopy(TOOL_CONTEXT)
        try:
            rendered = chat_env().from_string(src).render(**ctx)
        except TypeError:
            args = ctx["messages"][2]["tool_calls"][0]["function"]
            args["arguments"] = json.dumps(args["arguments"], ensure_ascii=False)
            rendered = chat_env().from_string(src).render(**ctx)
        out.append("    {" + json.dumps(name) + ", " + cxx(json.dumps(ctx, ensure_ascii=False)) + ", " +
                   cxx(rendered) + "},")
    out.append("};")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
