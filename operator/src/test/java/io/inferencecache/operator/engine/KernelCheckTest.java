package io.inferencecache.operator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel check's Python, run with the system's {@code python3} (skipped where there is none)
 * where neither torch nor LMCache is installed: it reports the failure in the termination message,
 * and fails the container only in strict mode.
 */
class KernelCheckTest {

  private static int run(Path log, String strict) throws Exception {
    ProcessBuilder check =
        new ProcessBuilder("python3", "-c", KernelCheck.SCRIPT).redirectErrorStream(true);
    check.environment().put("TERMINATION_LOG", log.toString());
    check.environment().put("KERNEL_CHECK_STRICT", strict);
    Process process = check.start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return process.exitValue();
  }

  @Test
  void aMissingKernelIsReportedAndFailsOnlyInStrictMode(@TempDir Path dir) throws Exception {
    boolean python;
    try {
      python = new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
    } catch (java.io.IOException e) {
      python = false;
    }
    assumeTrue(python, "python3 is not installed here");
    boolean torch = new ProcessBuilder("python3", "-c", "import torch").start().waitFor() == 0;
    assumeTrue(!torch, "torch is installed here: the failure path cannot be shown");
    Path log = dir.resolve("termination-log");
    assertThat(run(log, "0")).isZero();
    assertThat(Files.readString(log, StandardCharsets.UTF_8))
        .startsWith("FAIL: ModuleNotFoundError: No module named 'torch'");
    assertThat(run(log, "1")).isEqualTo(1);
  }
}
