package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IndexBenchCommandTest {

  @Test
  void measuresASmallIndexAndPrintsEveryFigure() {
    CommandRun run =
        CommandRun.of(
            "bench",
            "index",
            "--keys",
            "4096",
            "--replicas",
            "4",
            "--copies",
            "2",
            "--chain-blocks",
            "16",
            "--lookups",
            "200",
            "-o",
            "json");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("\"entries\":8192")
        .contains("\"distinctKeys\":4096")
        .contains("\"copies\":2");
    for (String key :
        new String[] {
          "bytesPerEntry",
          "lookupNsP50",
          "lookupNsP99",
          "lookupVsBareProbeRatio",
          "insertVsBarePutRatio",
          "insertsPerSecond",
          "suggestedHeapBytes"
        }) {
      assertThat(run.out()).contains("\"" + key + "\":");
    }
    assertThat(run.err()).contains("bench index: filling 8192 entries");
  }

  @Test
  void textOutputIsKeyValueLines() {
    CommandRun run =
        CommandRun.of(
            "bench", "index", "--keys", "1024", "--chain-blocks", "8", "--lookups", "100");

    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).hasSize(4);
    assertThat(run.outLines()[0]).startsWith("entries=1024 distinctKeys=1024 replicas=8 copies=1");
    assertThat(run.out()).contains("lookupVsBareProbeRatio=").contains("insertVsBarePutRatio=");
  }

  @Test
  void wrongOptionsNameWhatToChange() {
    CommandRun copies = CommandRun.of("bench", "index", "--replicas", "2", "--copies", "3");
    assertThat(copies.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(copies.err())
        .contains("--copies must be between 1 and --replicas (2), got 3")
        .contains("see 'inferencecache bench index --help'");

    CommandRun keys = CommandRun.of("bench", "index", "--keys", "0");
    assertThat(keys.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(keys.err()).contains("--keys must be at least 1, got 0");

    CommandRun bare = CommandRun.of("bench");
    assertThat(bare.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(bare.err()).contains("give a measurement, for example 'index'");
  }
}
