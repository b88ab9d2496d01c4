package io.inferencecache.core;

/**
 * Why a routing lookup answered as it did. The wire strings are exactly the Go inference-cache's;
 * clients map codes they do not know to their no-hint default, so new codes can be added: the four
 * tokenization codes are ours (upstream answers NO_HINT there; docs/adr/0015).
 */
public enum ReasonCode {
  /** Replicas hold a prefix of the prompt; scores rank them. */
  PREFIX_MATCH,
  /** No prefix match; replicas warm for the tenant and model, ranked by hit rate. */
  TENANT_HOT,
  /** No evidence either way; one replica chosen by a stable hash of the prompt. */
  AFFINITY_HINT,
  /** Nothing to suggest. */
  NO_HINT,
  /** The namespace's policy requires a block chain and the request has none. */
  POLICY_REQUIRES_CHAIN,
  /** The lookup did not finish inside its deadline. */
  TIMEOUT,
  /** The index has nothing for this tenant: probably a misconfigured tenant id. */
  UNKNOWN_TENANT,
  /** The tenant is known but has nothing for this model. */
  UNKNOWN_MODEL,
  /** The tenant and model are known, but not under this hash scheme. */
  UNKNOWN_HASH_SCHEME,
  /** The prompt to tokenize is over the server's byte or token bound; fails open. */
  PROMPT_TOO_LARGE,
  /** The server has no tokenizer for the model (or tokenization is off); fails open. */
  TOKENIZER_NOT_FOUND,
  /** As many tokenizations as the server allows are running; fails open at once. */
  TOKENIZER_BUSY,
  /** The model's chat template or tokenizer failed on this prompt; fails open. */
  TOKENIZE_ERROR,
  /** RenderTemplate: rendered. */
  OK,
  /** RenderTemplate: no such template. */
  TEMPLATE_NOT_FOUND,
  /** RenderTemplate: the template could not be rendered. */
  RENDER_ERROR;

  /** What the code means, in a sentence for people (the CLI prints it next to the code). */
  public String meaning() {
    return switch (this) {
      case PREFIX_MATCH -> "replicas hold a prefix of the prompt; scores rank them";
      case TENANT_HOT ->
          "no replica holds a prefix; replicas warm for this tenant and model, ranked by hit rate";
      case AFFINITY_HINT ->
          "no evidence either way; one replica that holds entries, chosen by a stable hash of the"
              + " prompt";
      case NO_HINT -> "nothing to suggest: route as you would without the index";
      case POLICY_REQUIRES_CHAIN ->
          "the namespace's policy requires a block chain and the request has none";
      case TIMEOUT -> "the lookup did not finish inside its deadline";
      case UNKNOWN_TENANT ->
          "the index has nothing for this tenant: check the tenant id the engines report";
      case UNKNOWN_MODEL ->
          "the tenant is known but has nothing for this model: check the model id the engines"
              + " report";
      case UNKNOWN_HASH_SCHEME ->
          "the tenant and model are known, but not under this hash scheme: check --scheme";
      case PROMPT_TOO_LARGE ->
          "the prompt is over the server's tokenization bound (--max-prompt-bytes,"
              + " --max-lookup-tokens): send token ids or block hashes instead";
      case TOKENIZER_NOT_FOUND ->
          "the server has no tokenizer for this model: add <model id>/tokenizer.json under"
              + " --tokenizer-models-dir, or send token ids";
      case TOKENIZER_BUSY ->
          "the server is running as many tokenizations as it allows"
              + " (--max-concurrent-tokenize): route without a hint";
      case TOKENIZE_ERROR ->
          "the model's chat template or tokenizer failed on this prompt: see the server log";
      case OK -> "rendered";
      case TEMPLATE_NOT_FOUND -> "no such template";
      case RENDER_ERROR -> "the template could not be rendered";
    };
  }

  /** The string that travels in {@code reason_code}. */
  public String wire() {
    return name();
  }
}
