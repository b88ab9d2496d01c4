package io.inferencecache.server.tokenize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The tokenizers of a models directory, loaded once at start-up: every directory under it that
 * holds a {@code tokenizer.json} is a model, its id the directory's path relative to the root with
 * {@code /} between names ({@code Qwen/Qwen3-8B} for {@code <root>/Qwen/Qwen3-8B/}). A directory
 * that fails to load is reported and skipped; lookups only ever consult what loaded, so a request
 * never touches the file system.
 */
public final class TokenizerRegistry implements AutoCloseable {

  /** How deep under the root model directories are looked for ({@code org/family/model}). */
  static final int MAX_DEPTH = 4;

  private final Map<String, ModelTokenizer> models;
  private final List<String> sortedModels;
  private final List<String> failures;

  private TokenizerRegistry(Map<String, ModelTokenizer> models, List<String> failures) {
    this.models = Map.copyOf(models);
    this.sortedModels = models.keySet().stream().sorted().toList();
    this.failures = List.copyOf(failures);
  }

  /** No tokenizers: prompt text fails open. */
  public static TokenizerRegistry empty() {
    return new TokenizerRegistry(Map.of(), List.of());
  }

  /**
   * Loads every tokenizer under {@code root}.
   *
   * @throws IOException the root is not a readable directory
   */
  public static TokenizerRegistry load(Path root, TokenizeLimits limits) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException(
          "tokenizer models directory "
              + root
              + " is not a directory: set it to a directory"
              + " holding <model id>/tokenizer.json");
    }
    Map<String, ModelTokenizer> models = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    List<Path> dirs;
    try (Stream<Path> walk = Files.walk(root, MAX_DEPTH)) {
      dirs =
          walk.filter(Files::isDirectory)
              .filter(dir -> Files.isRegularFile(dir.resolve("tokenizer.json")))
              .sorted()
              .toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    for (Path dir : dirs) {
      String model = modelId(root, dir);
      if (model.isEmpty()) {
        failures.add(dir + ": tokenizer.json must be in a directory named after the model");
        continue;
      }
      try {
        models.put(model, ModelTokenizer.load(model, dir, limits));
      } catch (IOException | RuntimeException e) {
        failures.add(model + ": " + e.getMessage()); // the caller logs failures()
      }
    }
    return new TokenizerRegistry(models, failures);
  }

  private static String modelId(Path root, Path dir) {
    Path relative = root.relativize(dir);
    List<String> names = new ArrayList<>();
    for (Path name : relative) {
      if (!name.toString().isEmpty()) {
        names.add(name.toString());
      }
    }
    return String.join("/", names);
  }

  /** The tokenizer for a model id, or null. */
  public ModelTokenizer find(String model) {
    return models.get(model);
  }

  /** The model ids that loaded, sorted. */
  public List<String> models() {
    return sortedModels;
  }

  /** What did not load, a line each. */
  public List<String> failures() {
    return failures;
  }

  @Override
  public void close() {
    models.values().forEach(ModelTokenizer::close);
  }
}
