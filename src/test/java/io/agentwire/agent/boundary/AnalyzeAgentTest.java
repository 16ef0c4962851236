package io.agentwire.agent.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.agent.entity.RunContext;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The analyze rule shared with src/test/python/agent_pipeline_client.py. */
class AnalyzeAgentTest {

  static final String TEXT =
      "Agents stream events to clients; agents call tools, and agents report results over the"
          + " wire.";

  @Test
  void countsTheWordsOfTheKnownText() {
    assertThat(AnalyzeAgent.words(TEXT)).hasSize(15);
  }

  @Test
  void ranksKeywordsByCountThenByFirstAppearance() {
    assertThat(strings(AnalyzeAgent.keywordsOf(AnalyzeAgent.words(TEXT))))
        .containsExactly("agents", "stream", "events");
    assertThat(strings(AnalyzeAgent.keywordsOf(List.of("b", "a", "c", "a", "b", "d"))))
        .containsExactly("b", "a", "c");
    assertThat(strings(AnalyzeAgent.keywordsOf(List.of("solo")))).containsExactly("solo");
  }

  @Test
  void splitsTheLowerCasedTextIntoUnicodeWordCharactersAndApostrophes() {
    assertThat(AnalyzeAgent.words("Don't STOP—Ünïcode_words… naïve, 42x! ¿Qué?"))
        .containsExactly("don't", "stop", "ünïcode_words", "naïve", "42x", "qué");
  }

  /** What Python's re.findall(r"[\w']+", text.lower()) answers: combining marks split words. */
  @Test
  void agreesWithThePythonClientOnCombiningMarks() {
    assertThat(AnalyzeAgent.words("ne\u0301e")).containsExactly("ne", "e");
    assertThat(AnalyzeAgent.words("हिन्दी")).containsExactly("ह", "न", "द");
    assertThat(AnalyzeAgent.words("x²y Ⅻ a_b")).containsExactly("x²y", "ⅻ", "a_b");
  }

  @Test
  void reportsBothToolsInPairsAndSummarisesThemInTheOutput() throws Exception {
    List<String> calls = new ArrayList<>();
    RunContext context =
        new RunContext() {
          public String runId() {
            return "r";
          }

          public void thinking(String text) {
            calls.add("thinking");
          }

          public JsonValue tool(String tool, JsonValue arguments, Tool call) throws Exception {
            calls.add(tool + "=" + call.call());
            return call.call();
          }

          public void pause(Duration duration) {}

          public boolean cancelled() {
            return false;
          }
        };

    JsonObject output =
        BuiltInAgents.analyze(Duration.ZERO).run(Json.createValue(TEXT), context).asJsonObject();

    assertThat(calls)
        .containsExactly(
            "thinking", "word_count=15", "thinking", "keywords=[\"agents\",\"stream\",\"events\"]");
    assertThat(output.getInt("wordCount")).isEqualTo(15);
    assertThat(strings(output.get("keywords"))).containsExactly("agents", "stream", "events");
    assertThat(output.getString("summary")).contains("15 words");
  }

  private static List<String> strings(JsonValue array) {
    return array.asJsonArray().getValuesAs(s -> ((jakarta.json.JsonString) s).getString());
  }
}
