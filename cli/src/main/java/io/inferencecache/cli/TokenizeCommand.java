package io.inferencecache.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache tokenize}: a prompt's token ids with the model's own tokenizer, offline, as
 * the server's prompt tokenization makes them (and an engine with the same tokenizer).
 */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Print the token ids of a text or a chat with a model's Hugging Face tokenizer.",
      "",
      "--text is tokenized as a completions request is (special tokens added); --chat is"
          + " rendered through the model's chat template first, as a chat completions request"
          + " is. The server tokenizes prompt_text as a chat of one user message. Pipe the ids"
          + " into 'inferencecache hash' to see the block keys a gateway should send.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  inferencecache tokenize --tokenizer models/Qwen/Qwen3-8B --text 'Hello, world!'",
      "  inferencecache tokenize --tokenizer models/Qwen/Qwen3-8B --chat chat.json --show-prompt",
      "  inferencecache tokenize --tokenizer DIR --chat chat.json | inferencecache hash",
      "",
      "Text output is the ids, comma-separated, on one line. JSON: {\"count\": N, \"tokens\":"
          + " [...], \"prompt\": \"...\"} (prompt only for --chat)."
    })
final class TokenizeCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private TokenInput input;

  @Option(
      names = "--show-prompt",
      description = "With --chat, print the rendered prompt on standard error first.")
  private boolean showPrompt;

  @Mixin private OutputOption output;

  @Override
  public Integer call() {
    int[] ids = input.read(spec);
    PrintWriter out = spec.commandLine().getOut();
    String prompt = input.rendered();
    if (output.json()) {
      JsonWriter json = new JsonWriter();
      json.beginObject().name("count").value(ids.length).name("tokens").beginArray();
      for (int id : ids) {
        json.value(id);
      }
      json.endArray();
      if (prompt != null) {
        json.name("prompt").value(prompt);
      }
      out.println(json.endObject());
    } else {
      if (showPrompt && prompt != null) {
        spec.commandLine().getErr().println(prompt);
      }
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < ids.length; i++) {
        if (i > 0) {
          line.append(',');
        }
        line.append(ids[i]);
      }
      out.println(line);
    }
    out.flush();
    return 0;
  }
}
