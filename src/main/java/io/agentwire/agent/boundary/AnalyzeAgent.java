package io.agentwire.agent.boundary;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Built-in {@code analyze}: counts the words of a text and finds its most frequent ones, with its
 * steps paced by {@code agentwire.agents.step-delay} so that streaming is visible.
 */
@ApplicationScoped
public class AnalyzeAgent implements Agent {

  /**
   * A word: a run of letters, numbers, underscores and apostrophes, compared lower-cased. Written
   * as Unicode categories so that it means what Python's {@code [\w']+} means on str (the outside
   * client's rule); Java's UNICODE_CHARACTER_CLASS {@code \w} would also take combining marks.
   */
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}_']+");

  static final int KEYWORDS = 3;

  @Inject
  @ConfigProperty(name = "agentwire.agents.step-delay")
  Duration stepDelay;

  @Override
  public String name() {
    return "analyze";
  }

  @Override
  public JsonValue run(JsonValue input, RunContext context) throws Exception {
    if (!(input instanceof JsonString text)) {
      throw new IllegalArgumentException("analyze takes a string input");
    }
    context.thinking("splitting the text into words");
    List<String> words = words(text.getString());
    context.pause(stepDelay);
    JsonValue count = context.tool("word_count", input, () -> Json.createValue(words.size()));
    context.pause(stepDelay);
    context.thinking("ranking words by frequency");
    JsonValue keywords = context.tool("keywords", input, () -> keywordsOf(words));
    context.pause(stepDelay);
    return Json.createObjectBuilder()
        .add("wordCount", count)
        .add("keywords", keywords)
        .add("summary", words.size() + " words; most frequent: " + keywords)
        .build();
  }

  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
    while (m.find()) {
      words.add(m.group());
    }
    return words;
  }

  /** The most frequent words, by count descending, ties broken by first appearance. */
  static JsonValue keywordsOf(List<String> words) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    words.forEach(w -> counts.merge(w, 1, Integer::sum));
    JsonArrayBuilder top = Json.createArrayBuilder();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(KEYWORDS)
        .forEach(e -> top.add(e.getKey()));
    return top.build();
  }
}
