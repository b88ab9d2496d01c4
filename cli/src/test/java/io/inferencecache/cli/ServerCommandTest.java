package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.index.EvictionAlgorithm;
import io.inferencecache.index.RankerKind;
import io.inferencecache.server.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code inferencecache server}'s options: upstream's flags, auth rules, environment and YAML. */
class ServerCommandTest {

  private static final String SA = "system:serviceaccount:ic-system:ic-controller";

  private static ServerOptions options(Map<String, String> env, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = "server";
    System.arraycopy(args, 0, full, 1, args.length);
    CommandLine commandLine = Main.commandLine(full, env);
    commandLine.parseArgs(full);
    ServerCommand command = commandLine.getSubcommands().get("server").getCommand();
    return command.options();
  }

  @Test
  void theControlListenerNeedsAnAllowListOrAnExplicitOptOut() {
    CommandRun none = CommandRun.of("server");
    assertThat(none.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(none.err()).contains("--allowed-controller-sa").contains("--insecure-disable-auth");
    assertThat(
            CommandRun.of("server", "--allowed-controller-sa", SA, "--insecure-disable-auth").err())
        .contains("exclude each other");
    assertThat(CommandRun.of("server", "--allowed-controller-sa", " " + SA).err())
        .contains("must not contain whitespace");
    assertThat(
            CommandRun.of("server", "--allowed-controller-sa", SA, "--policy-audience", "").err())
        .contains("--policy-audience must not be empty");

    ServerOptions secured = options(Map.of(), "--allowed-controller-sa", SA);
    assertThat(secured.control().auth())
        .isEqualTo(
            new ServerOptions.Auth(SA, "inferencecache.io/controller", "inferencecache.io/policy"));
    assertThat(secured.control().address().getPort()).isEqualTo(8081);
    assertThat(options(Map.of(), "--insecure-disable-auth=true").control().auth()).isNull();
  }

  @Test
  void upstreamFlagsKeepTheirMeaning() {
    ServerOptions o =
        options(
            Map.of(),
            "--grpc-bind-address=:19090",
            "--http-bind-address=127.0.0.1:18080",
            "--snapshot-bind-address=:18081",
            "--allowed-controller-sa=" + SA,
            "--controller-audience=aud-c",
            "--policy-audience=aud-p",
            "--engine-block-size=32",
            "--log-format=text",
            "--log-level=warning",
            "--tokenizer-models-dir=/models");
    assertThat(o.grpc().getPort()).isEqualTo(19090);
    assertThat(o.http().getHostString()).isEqualTo("127.0.0.1");
    assertThat(o.control().address().getPort()).isEqualTo(18081);
    assertThat(o.control().auth().controllerAudience()).isEqualTo("aud-c");
    assertThat(o.control().auth().policyAudience()).isEqualTo("aud-p");
    assertThat(o.lookup().blockSize()).isEqualTo(32);
    assertThat(CommandRun.of("server", "--insecure-disable-auth", "--log-format", "xml").err())
        .contains("--log-format must be json or text");
    assertThat(CommandRun.of("server", "--insecure-disable-auth", "--log-level", "loud").err())
        .contains("--log-level must be debug, info, warn or error");
  }

  @Test
  void everyIndexKnobIsAFlag() {
    ServerOptions o =
        options(
            Map.of(),
            "--insecure-disable-auth",
            "--max-entries=5000",
            "--sweep-interval=250ms",
            "--sweep-budget=1024",
            "--hot-access-count=3",
            "--default-ttl=10m",
            "--default-eviction=lfu",
            "--default-minimum-prefix-tokens=32",
            "--default-minimum-matched-tokens=16",
            "--default-routing-floor-score=0.5",
            "--default-lookup-timeout=20ms",
            "--default-affinity-routing=false",
            "--default-tenant-hot=false",
            "--default-require-chain",
            "--ranker=cost",
            "--speculative-ttl=2s",
            "--pressure-weight=0.5",
            "--slo-tight-ttft-ms=100",
            "--slo-tight-bias=2",
            "--tenant-hot-min-hit-rate=0.3",
            "--tenant-hot-max-age=1m",
            "--cost-prefill-weight=0.25");
    assertThat(o.policy().maxEntries()).isEqualTo(5000);
    assertThat(o.sweepInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(o.sweepBudget()).isEqualTo(1024);
    assertThat(o.policy().hotAccessCount()).isEqualTo(3);
    var ns = o.policy().namespace("any-namespace");
    assertThat(ns.ttl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(ns.eviction()).isEqualTo(EvictionAlgorithm.LFU);
    assertThat(ns.minimumPrefixTokens()).isEqualTo(32);
    assertThat(ns.minimumMatchedTokens()).isEqualTo(16);
    assertThat(ns.routingFloorScore()).isEqualTo(0.5f);
    assertThat(ns.lookupTimeoutMs()).isEqualTo(20);
    assertThat(ns.affinityRouting()).isFalse();
    assertThat(ns.enableTenantHot()).isFalse();
    assertThat(ns.requireChain()).isTrue();
    assertThat(ns.ranker()).isEqualTo(RankerKind.COST);
    assertThat(ns.speculativeTtl()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.policy().ranker().pressureWeight()).isEqualTo(0.5f);
    assertThat(o.policy().ranker().sloTightTtftMs()).isEqualTo(100);
    assertThat(o.policy().ranker().sloTightBias()).isEqualTo(2f);
    assertThat(o.policy().ranker().tenantHotMinHitRate()).isEqualTo(0.3f);
    assertThat(o.policy().ranker().tenantHotMaxAge()).isEqualTo(Duration.ofMinutes(1));
    assertThat(o.policy().ranker().costPrefillWeight()).isEqualTo(0.25f);
    assertThat(CommandRun.of("server", "--insecure-disable-auth", "--default-eviction=fifo").err())
        .contains("--default-eviction must be lru or lfu, got 'fifo'");

    String help = CommandRun.of("server", "--help").out();
    for (String flag :
        new String[] {
          "--grpc-bind-address",
          "--http-bind-address",
          "--snapshot-bind-address",
          "--allowed-controller-sa",
          "--insecure-disable-auth",
          "--controller-audience",
          "--policy-audience",
          "--tls-cert-file",
          "--tls-key-file",
          "--mtls-client-ca-file",
          "--tokenizer-models-dir",
          "--engine-block-size",
          "--log-format",
          "--log-level",
          "--engine",
          "--discover-engine-pods",
          "--config",
          "--max-entries",
          "--default-ttl",
          "--sweep-interval",
          "--ranker",
          "--default-routing-floor-score"
        }) {
      assertThat(help).contains(flag);
    }
  }

  @Test
  void flagsBeatTheEnvironmentWhichBeatsTheConfigFile(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("server.yaml");
    Files.writeString(
        config,
        """
        grpc-bind-address: ":7001"
        http-bind-address: ":7002"
        max-entries: 42
        allowed-controller-sa: "%s"
        discover-engine-pods: true
        discovery-namespace: engines
        engine:
          - endpoint=tcp://10.0.0.1:5557,replica=a,model=m
          - endpoint=tcp://10.0.0.2:5557,replica=b,model=m,scheme=sglang
        """
            .formatted(SA));
    Map<String, String> env =
        Map.of("INFERENCECACHE_HTTP_BIND_ADDRESS", ":7102", "INFERENCECACHE_MAX_ENTRIES", "43");
    ServerOptions o = options(env, "--config", config.toString(), "--max-entries", "44");
    assertThat(o.grpc().getPort()).as("from the file").isEqualTo(7001);
    assertThat(o.http().getPort()).as("the environment beats the file").isEqualTo(7102);
    assertThat(o.policy().maxEntries()).as("the flag beats both").isEqualTo(44);
    assertThat(o.control().auth().allowedServiceAccount()).isEqualTo(SA);
    assertThat(o.engines()).extracting(e -> e.replica()).containsExactly("a", "b");
    assertThat(o.engines().get(1).scheme()).isEqualTo("sglang");
    assertThat(o.discovery()).isNotNull();
    assertThat(o.discovery().namespace()).isEqualTo("engines");

    ServerOptions fromEnvFile =
        options(
            Map.of("INFERENCECACHE_CONFIG", config.toString()), "--insecure-disable-auth=false");
    assertThat(fromEnvFile.grpc().getPort()).isEqualTo(7001);

    Path wrong = dir.resolve("wrong.yaml");
    Files.writeString(wrong, "grpc-bind-adress: \":1\"\n");
    CommandRun typo = runWith(Map.of(), "server", "--config", wrong.toString());
    assertThat(typo.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(typo.err()).contains("unknown key 'grpc-bind-adress'").contains("grpc-bind-address");
    Files.writeString(wrong, "- just\n- a list\n");
    assertThat(runWith(Map.of(), "server", "--config", wrong.toString()).err())
        .contains("must be a YAML mapping");
    assertThat(runWith(Map.of(), "server", "--config", dir.resolve("absent.yaml").toString()).err())
        .contains("cannot be read");
  }

  private static CommandRun runWith(Map<String, String> env, String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine commandLine = Main.commandLine(args, env);
    commandLine.setOut(new java.io.PrintWriter(out, true));
    commandLine.setErr(new java.io.PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new CommandRun(exitCode, out.toString(), err.toString());
  }

  @Test
  void variablesAreNamedAfterTheirFlags() {
    assertThat(ConfigDefaults.variable("--grpc-bind-address"))
        .isEqualTo("INFERENCECACHE_GRPC_BIND_ADDRESS");
    assertThatThrownBy(
            () -> options(Map.of("INFERENCECACHE_MAX_ENTRIES", "lots"), "--insecure-disable-auth"))
        .isInstanceOf(CommandLine.ParameterException.class);
  }
}
