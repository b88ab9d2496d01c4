#!/usr/bin/env python3
"""Renders chat cases through Qwen3's chat template with Python's Jinja2, configured as
transformers' apply_chat_template configures it (a sandboxed environment, trim_blocks,
lstrip_blocks, tojson as json.dumps(ensure_ascii=False), raise_exception).

Reference renders for server/src/test/resources/tokenize/qwen3-vectors.json; see
scripts/vectors/README.md. Usage: qwen3_chat_render.py TOKENIZER_CONFIG CASES > RENDERS
"""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise Exception(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def main(config_path, cases_path):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    with open(config_path, encoding="utf-8") as f:
        template = env.from_string(json.load(f)["chat_template"])
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    renders = [template.render(messages=case["messages"],
                               add_generation_prompt=case.get("add_generation_prompt", True),
                               **case.get("kwargs", {}))
               for case in cases]
    json.dump(renders, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
