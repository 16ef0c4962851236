package io.agentwire.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on loopback between a client (a browser) and the server, that a test can cut: every
 * connection through it is reset at once (RST, as when a laptop sleeps or a network changes), and
 * neither end gets a WebSocket close frame. New connections pass again right after.
 */
final class TcpRelay implements AutoCloseable {

  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger cuts = new AtomicInteger();
  private final Thread acceptor;

  private TcpRelay(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
  }

  static TcpRelay to(int targetPort) throws IOException {
    return new TcpRelay(targetPort);
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Resets every connection open through the relay; returns how many sockets were reset. */
  int cutAll() {
    int n = 0;
    for (Socket s : sockets) {
      if (s.isClosed()) {
        sockets.remove(s);
        continue;
      }
      try {
        s.setSoLinger(true, 0); // close() sends RST instead of FIN
        s.close();
        n++;
      } catch (IOException ignored) {
        // already closed
      }
      sockets.remove(s);
    }
    cuts.addAndGet(n);
    return n;
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
        sockets.add(client);
        sockets.add(server);
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        if (!listener.isClosed()) {
          System.err.println("relay: " + e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread.ofPlatform()
        .daemon()
        .name("relay-pump")
        .start(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  out.write(buffer, 0, n);
                  out.flush();
                }
                to.shutdownOutput(); // a FIN passes on as a FIN
              } catch (IOException closed) {
                // cut, or the other side went away: the other pump ends too
                closeQuietly(from);
                closeQuietly(to);
              }
            });
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    cutAll();
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
