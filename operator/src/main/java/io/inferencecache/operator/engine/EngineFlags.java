package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What an engine pod's own flags say about the keys it produces: the model names it serves under
 * (what gateways send as {@code model}) and its KV block size. Read from the engine container the
 * webhook wires (named {@code vllm} or {@code sglang}, or the only container besides the
 * subscriber), for the doctor's mismatch checks.
 *
 * @param servedModels vLLM's {@code --served-model-name} values, else {@code --model} or {@code
 *     vllm serve MODEL}; SGLang's {@code --served-model-name}, else {@code --model-path}; empty
 *     when the flags do not say
 * @param blockSize vLLM's {@code --block-size} (16 when not given), SGLang's {@code --page-size} (1
 *     when not given); null when the value is not a number
 */
public record EngineFlags(List<String> servedModels, @Nullable Integer blockSize) {

  /** vLLM's block size when {@code --block-size} is not given. */
  public static final int VLLM_DEFAULT_BLOCK = 16;

  /** SGLang's page size when {@code --page-size} is not given. */
  public static final int SGLANG_DEFAULT_PAGE = 1;

  /**
   * The last value of {@code flag} in a container's arguments ({@code --f v} or {@code --f=v}), or
   * null when it is not given.
   */
  public static @Nullable String lastValue(@Nullable List<String> args, String flag) {
    List<String> values = Args.values(args == null ? List.of() : args, flag);
    return values.isEmpty() ? null : values.getLast();
  }

  /** The last value of {@code flag} in a container's command and arguments, or null. */
  public static @Nullable String lastValue(Container container, String flag) {
    return lastValue(Args.tokens(container), flag);
  }

  /** The flags of the pod's {@code engine} ({@code vllm} or {@code sglang}) container, if found. */
  public static Optional<EngineFlags> of(Pod pod, String engine) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return Optional.empty();
    }
    Container container = EngineConfigGenerator.engineContainer(pod.getSpec(), engine);
    if (container == null) {
      return Optional.empty();
    }
    List<String> tokens = Args.tokens(container);
    boolean vllm = engine.equals("vllm");
    List<String> served = new ArrayList<>(Args.values(tokens, "--served-model-name"));
    served.removeIf(String::isEmpty);
    if (served.isEmpty()) {
      List<String> model = Args.values(tokens, vllm ? "--model" : "--model-path");
      if (!model.isEmpty() && !model.getFirst().isEmpty()) {
        served.add(model.getFirst());
      } else if (vllm) {
        int serve = tokens.indexOf("serve");
        if (serve >= 0 && serve + 1 < tokens.size() && !tokens.get(serve + 1).startsWith("-")) {
          served.add(tokens.get(serve + 1));
        }
      }
    }
    List<String> block = Args.values(tokens, vllm ? "--block-size" : "--page-size");
    Integer size = vllm ? VLLM_DEFAULT_BLOCK : SGLANG_DEFAULT_PAGE;
    if (!block.isEmpty()) {
      try {
        size = Integer.parseInt(block.getLast());
      } catch (NumberFormatException e) {
        size = null;
      }
    }
    return Optional.of(new EngineFlags(List.copyOf(served), size));
  }
}
