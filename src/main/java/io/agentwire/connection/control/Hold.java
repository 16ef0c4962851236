package io.agentwire.connection.control;

import java.util.ArrayDeque;
import java.util.List;

/** Messages that arrived before {@code ready}, kept in arrival order and bounded (G2). */
public final class Hold {

  private final int capacity;
  private final ArrayDeque<String> messages = new ArrayDeque<>();

  public Hold(int capacity) {
    this.capacity = capacity;
  }

  /** Keeps the message; false when the hold is full (the caller closes with 4429). */
  public synchronized boolean offer(String message) {
    if (messages.size() >= capacity) {
      return false;
    }
    messages.addLast(message);
    return true;
  }

  /** Takes every held message, oldest first, leaving the hold empty. */
  public synchronized List<String> release() {
    List<String> all = List.copyOf(messages);
    messages.clear();
    return all;
  }

  public synchronized int size() {
    return messages.size();
  }
}
