package io.inferencecache.server.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ChatTemplate template(String source) {
    return ChatTemplate.of(source, Map.of("bos_token", "<s>", "eos_token", "</s>"), 1 << 20);
  }

  /** Rendering {@code template} fails with a template error that says {@code message}. */
  private static void assertRenderFails(String template, Map<String, ?> vars, String message) {
    assertThatThrownBy(() -> render(template, vars))
        .isInstanceOf(ChatTemplate.TemplateException.class)
        .hasMessageContaining(message);
  }

  private static String render(String source, Map<String, ?> variables) {
    return template(source).render(List.of(), false, variables);
  }

  @Test
  void qwen3TemplateRendersAsPythonJinja2Does() throws Exception {
    ChatTemplate qwen3 =
        ChatTemplate.of(Qwen3.config().get("chat_template").asText(), Map.of(), 1 << 20);
    for (JsonNode chat : Qwen3.vectors().get("chats")) {
      assertThat(qwen3.render(Qwen3.messages(chat), Qwen3.generation(chat), Qwen3.kwargs(chat)))
          .as(chat.get("name").asText())
          .isEqualTo(chat.get("rendered").asText());
    }
  }

  @Test
  void keywordArgumentsTakeWholeExpressions() {
    assertThat(
            render(
                "{% set ns = namespace(last=items|length - 1, seen=false) %}{{ ns.last }} {{ ns.seen }}",
                Map.of("items", List.of(1, 2, 3, 4))))
        .isEqualTo("3 false");
  }

  @Test
  void slicesTakeAStepAsInPython() {
    Map<String, ?> vars = Map.of("xs", List.of(0, 1, 2, 3, 4, 5), "s", "abcdef");
    assertThat(render("{{ xs[::-1] }}", vars)).isEqualTo("[5, 4, 3, 2, 1, 0]");
    assertThat(render("{{ xs[1::2] }}", vars)).isEqualTo("[1, 3, 5]");
    assertThat(render("{{ xs[-2:0:-2] }}", vars)).isEqualTo("[4, 2]");
    assertThat(render("{{ xs[1:3] }}", vars)).isEqualTo("[1, 2]");
    assertThat(render("{{ s[::-1] }}|{{ s[::2] }}|{{ s[10::-1] }}", vars))
        .isEqualTo("fedcba|ace|fedcba");
    assertThat(render("{{ xs[-1] }} {{ xs[0] }}", vars)).isEqualTo("5 0");
    assertRenderFails("{{ xs[::0] }}", vars, "slice step cannot be zero");
  }

  @Test
  void stringMethodsArePythons() {
    Map<String, ?> vars = Map.of("t", "\n a|b|c \n");
    assertThat(render("[{{ t.strip() }}][{{ t.lstrip('\\n') }}][{{ t.rstrip() }}]", vars))
        .isEqualTo("[a|b|c][ a|b|c \n][\n a|b|c]");
    assertThat(render("{{ t.strip().split('|')[-1] }} {{ t.split()|length }}", vars))
        .isEqualTo("c 1");
    assertThat(render("{{ 'a.b.c'.split('.', 1) }}", vars)).isEqualTo("[a, b.c]");
    assertThat(render("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'bc')) }}", vars))
        .isEqualTo("true true");
    assertThat(render("{{ 'hello world'.title() }} {{ 'ABC'.lower() }}", vars))
        .isEqualTo("Hello World abc");
  }

  @Test
  void theOtherStringMethodsArePythonsToo() {
    Map<String, ?> vars = Map.of("xs", List.of("a", "b", "c"), "one", List.of("x"));
    // Each expected value is what Python 3 gives for the same expression.
    assertThat(render("{{ '0123'.isdigit() }} {{ '12a'.isdigit() }} {{ ''.isdigit() }}", vars))
        .isEqualTo("true false false");
    assertThat(render("{{ ' \t\n'.isspace() }} {{ ' x '.isspace() }} {{ ''.isspace() }}", vars))
        .isEqualTo("true false false");
    assertThat(render("{{ 'hELLO wORLD'.capitalize() }}|{{ ''.capitalize() }}", vars))
        .isEqualTo("Hello world|");
    assertThat(render("{{ \"they're bill's\".title() }}", vars)).isEqualTo("They'Re Bill'S");
    assertThat(
            render(
                "{{ 'abcabc'.count('bc') }} {{ 'aaaa'.count('aa') }} {{ 'ab'.count('') }}", vars))
        .isEqualTo("2 2 3");
    assertThat(render("{{ 'abcabc'.find('ca') }} {{ 'abc'.find('z') }}", vars)).isEqualTo("2 -1");
    assertThat(render("{{ ', '.join(xs) }}|{{ '-'.join(one) }}|{{ '-'.join([]) }}", vars))
        .isEqualTo("a, b, c|x|");
    assertThat(render("{{ 'straße'.upper() }} {{ 'İ'.lower()|length }}", vars))
        .isEqualTo("STRASSE 2");
    assertThat(render("{{ 'abc'.replace('', '-') }}|{{ 'abc'.replace('', '-', 2) }}", vars))
        .isEqualTo("-a-b-c-|-a-bc");
    assertRenderFails("{{ 'a'.join('b') }}", vars, "join takes a list");
    assertRenderFails("{{ 'a'.find() }}", vars, "find is missing argument 1");
  }

  @Test
  void keywordArgumentsAndWhitespaceFollowPython() {
    Map<String, ?> vars = Map.of("t", "   1   2   3   ", "nb", "x\u00a0");
    // Python: ['1', '2   3   '] and ['1   2   3   ']: the remainder keeps its trailing spaces.
    assertThat(render("{{ t.split(None, 1)|tojson }}|{{ t.split(maxsplit=0)|tojson }}", vars))
        .isEqualTo("[\"1\", \"2   3   \"]|[\"1   2   3   \"]");
    assertThat(render("{{ 'a-b-c'.split('-', maxsplit=1)|tojson }}", vars))
        .isEqualTo("[\"a\", \"b-c\"]");
    assertThat(
            render("{{ 'xxaxx'.strip(chars='x') }}|{{ 'aaa'.replace('a', 'b', count=2) }}", vars))
        .isEqualTo("a|bba");
    assertThat(render("[{{ nb.strip() }}]", vars)).isEqualTo("[x]");
    assertRenderFails("{{ 'a'.split(sepp='-') }}", vars, "unexpected keyword argument sepp");
  }

  @Test
  void twoPartSlicesArePythonsToo() {
    Map<String, ?> vars = Map.of("s", "\uD83D\uDE00abc", "xs", List.of(1, 2, 3));
    assertThat(render("{{ 'ab'[-5:] }}|{{ 'ab'[5:] }}|{{ xs[-9:2] }}", vars))
        .isEqualTo("ab||[1, 2]");
    // By code point: the emoji is one character.
    assertThat(render("{{ s[1:] }}|{{ s[:1] }}", vars)).isEqualTo("abc|\uD83D\uDE00");
  }

  @Test
  void tojsonIsPythonsJsonDumps() {
    Map<String, Object> tool = new java.util.LinkedHashMap<>();
    tool.put("name", "get_weather");
    tool.put("args", List.of(1, 2.5, true));
    tool.put("note", "café \"quoted\"\n");
    assertThat(render("{{ tool | tojson }}", Map.of("tool", tool)))
        .isEqualTo(
            "{\"name\": \"get_weather\", \"args\": [1, 2.5, true], \"note\": \"café \\\"quoted\\\"\\n\"}");
    assertThat(render("{{ tool | tojson(indent=2) }}", Map.of("tool", Map.of("a", 1))))
        .isEqualTo("{\n  \"a\": 1\n}");
    assertThat(PythonJson.pythonFloat(1e-5)).isEqualTo("1e-05");
    assertThat(PythonJson.pythonFloat(1.0)).isEqualTo("1.0");
    assertThat(PythonJson.pythonFloat(1e16)).isEqualTo("1e+16");
    assertThat(PythonJson.pythonFloat(123456.789)).isEqualTo("123456.789");
  }

  @Test
  void raiseExceptionStopsTheRenderWithItsMessage() {
    assertThatThrownBy(() ->
            render(
                "{% if true %}{{ raise_exception('Only user and assistant roles') }}{% endif %}",
                Map.of()))
        .isInstanceOf(ChatTemplate.TemplateException.class)
        .hasMessage("the chat template raised: Only user and assistant roles");
  }

  @Test
  void aTemplateThatDoesNotParseSaysWhere() {
    assertRenderFails("line one\n{% for x in %}", Map.of(), "line 2");
  }

  @Test
  void outputPastTheLimitFailsTheRender() {
    String source = "{% for i in range(100) %}xxxxxxxxxx{% endfor %}";
    assertThat(ChatTemplate.of(source, Map.of(), 2000).render(List.of(), false, Map.of()))
        .hasSize(1000);
    ChatTemplate small = ChatTemplate.of(source, Map.of(), 64);
    assertThatThrownBy(() -> small.render(List.of(), false, Map.of()))
        .isInstanceOf(ChatTemplate.TemplateException.class)
        .hasMessageContaining("64");
  }

  @Test
  void specialTokensAreVariables() {
    assertThat(render("{{ bos_token }}x{{ eos_token }}", Map.of())).isEqualTo("<s>x</s>");
  }
}
