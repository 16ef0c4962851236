package io.agentwire.connection.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.websocket.server.ServerContainer;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerDefaultsTest {

  @Test
  void turnsTheIdleTimeoutOffWithMinusOneNotZero() {
    List<Long> set = new ArrayList<>();
    ServerContainer container =
        (ServerContainer)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ServerContainer.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("setDefaultMaxSessionIdleTimeout")) {
                    set.add((Long) args[0]);
                  }
                  return null;
                });
    java.util.Map<String, String> params = new java.util.HashMap<>();
    ServletContext context =
        (ServletContext)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ServletContext.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getAttribute" ->
                          ServerContainer.class.getName().equals(args[0]) ? container : null;
                      case "setInitParameter" ->
                          params.putIfAbsent((String) args[0], (String) args[1]) == null;
                      case "getInitParameter" -> params.get(args[0]);
                      default -> null;
                    });
    ContainerDefaults defaults = new ContainerDefaults();
    defaults.maxMessageBytes = () -> 65_536;

    defaults.contextInitialized(new ServletContextEvent(context));

    // 0 also means "no timeout", but Tyrus 2.2.2 then schedules a task for every frame.
    assertThat(set).containsExactly(-1L);
    // Tyrus's incoming buffer holds the largest frame the frame inspector lets through.
    assertThat(params).containsEntry(ContainerDefaults.INCOMING_BUFFER, "65550");
  }
}
