package io.inferencecache.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat for {@code --chat}: a JSON array of messages, or an object with {@code messages} and the
 * chat template's variables ({@code tools}, {@code enable_thinking}, {@code add_generation_prompt},
 * which defaults to true as for a chat completions request).
 */
record ChatFile(
    List<Map<String, Object>> messages,
    boolean addGenerationPrompt,
    Map<String, Object> variables) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A chat file that cannot be used: the message says what to change. */
  static final class ChatFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ChatFileException(String message) {
      super(message);
    }
  }

  static ChatFile read(String file) {
    JsonNode root;
    try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
      root = JSON.readTree(in);
    } catch (NoSuchFileException e) {
      throw new ChatFileException("--chat: no such file: " + file);
    } catch (JsonProcessingException e) {
      throw new ChatFileException("--chat " + file + " is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ChatFileException("--chat: cannot read " + file + ": " + e.getMessage());
    }
    JsonNode messages = root;
    Map<String, Object> variables = new LinkedHashMap<>();
    boolean generation = true;
    if (root != null && root.isObject()) {
      messages = root.get("messages");
      root.fields()
          .forEachRemaining(field -> {
            if (!field.getKey().equals("messages")) {
              variables.put(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
            }
          });
      Object flag = variables.remove("add_generation_prompt");
      if (flag instanceof Boolean b) {
        generation = b;
      } else if (flag != null) {
        throw new ChatFileException("--chat: add_generation_prompt must be true or false");
      }
    }
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new ChatFileException(
          "--chat "
              + file
              + " has no messages: give a JSON array of {\"role\": ..., \"content\": ...}"
              + " objects, or an object with a \"messages\" array");
    }
    List<Map<String, Object>> list = new ArrayList<>();
    int i = 0;
    for (JsonNode message : messages) {
      if (!message.isObject() || !message.path("role").isTextual()) {
        throw new ChatFileException(
            "--chat: message " + i + " needs a string \"role\" (user, assistant, system, tool)");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = JSON.convertValue(message, LinkedHashMap.class);
      list.add(map);
      i++;
    }
    return new ChatFile(List.copyOf(list), generation, variables);
  }
}
