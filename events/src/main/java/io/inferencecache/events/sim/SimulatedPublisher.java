package io.inferencecache.events.sim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The publisher thread of a {@link SimulatedEngine}, shaped like vLLM's: it owns the PUB and ROUTER
 * sockets, sends each batch as {@code [topic, sequence (8 bytes, big-endian), payload]}, keeps the
 * last batches in a ring, and between sends answers replay requests {@code [identity, empty,
 * start]} with every ring batch from {@code start} on, then the end marker (sequence -1, empty
 * payload).
 */
final class SimulatedPublisher implements AutoCloseable {

  private static final Object RESTART = new Object();
  private static final byte[] EMPTY = new byte[0];

  private record Outgoing(long sequence, byte[] payload) {}

  private final SimulatedEngineOptions options;
  private final ZContext context = new ZContext(1);
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final ArrayDeque<Outgoing> ring = new ArrayDeque<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicInteger dropNext = new AtomicInteger();
  private final byte[] topic;
  private final Thread thread;

  private volatile boolean running = true;
  private volatile @Nullable RuntimeException failure;
  private volatile long stallUntilNanos;
  private ZMQ.Socket pub;
  private ZMQ.@Nullable Socket router;
  private final int publishPort;
  private final int replayPort;

  SimulatedPublisher(SimulatedEngineOptions options) {
    this.options = options;
    this.topic = options.topic().getBytes(StandardCharsets.UTF_8);
    pub = context.createSocket(SocketType.PUB);
    pub.setLinger(0);
    pub.setSndHWM(100_000);
    publishPort = bind(pub, options.publishPort());
    if (options.replayPort() >= 0) {
      ZMQ.Socket r = context.createSocket(SocketType.ROUTER);
      r.setLinger(0);
      r.setSndHWM(0);
      replayPort = bind(r, options.replayPort());
      router = r;
    } else {
      replayPort = -1;
    }
    thread = new Thread(this::run, "sim-engine-publisher-" + publishPort);
    thread.setDaemon(true);
    thread.start();
  }

  String publishEndpoint() {
    return "tcp://" + options.host() + ":" + publishPort;
  }

  @Nullable String replayEndpoint() {
    return replayPort < 0 ? null : "tcp://" + options.host() + ":" + replayPort;
  }

  void enqueue(long sequence, byte[] payload) {
    pending.incrementAndGet();
    queue.add(new Outgoing(sequence, payload));
  }

  void restart() {
    pending.incrementAndGet();
    queue.add(RESTART);
  }

  void dropNext(int batches) {
    if (batches < 0) {
      throw new IllegalArgumentException("batches to drop must not be negative, got " + batches);
    }
    dropNext.addAndGet(batches);
  }

  void stall(Duration duration) {
    stallUntilNanos = System.nanoTime() + duration.toNanos();
  }

  void awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pending.get() > 0) {
      RuntimeException failed = failure;
      if (failed != null) {
        throw new IllegalStateException("the simulated engine's publisher failed", failed);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            pending.get() + " batches still unpublished after " + timeout);
      }
      Thread.sleep(1);
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    context.close();
  }

  private void run() {
    while (running) {
      try {
        serveReplay();
        if (System.nanoTime() < stallUntilNanos) {
          SimulatedEngine.sleepQuietly(1);
          continue;
        }
        // Replay requests wait at most this long between sends; an idle publisher wakes 200 times a
        // second, not 1000.
        Object item = SimulatedEngine.poll(queue, 5);
        if (item == null) {
          continue;
        }
        if (item == RESTART) {
          rebind();
        } else {
          Outgoing out = (Outgoing) item;
          ring.addLast(out);
          while (ring.size() > options.replayRing()) {
            ring.removeFirst();
          }
          if (dropNext.get() > 0) {
            dropNext.decrementAndGet();
          } else {
            pub.sendMore(topic);
            pub.sendMore(sequenceBytes(out.sequence()));
            pub.send(out.payload());
          }
        }
        pending.decrementAndGet();
      } catch (ZMQException e) {
        if (running) {
          failure = e;
          running = false;
        }
      }
    }
  }

  private void serveReplay() {
    ZMQ.Socket r = router;
    if (r == null) {
      return;
    }
    byte[] identity;
    while ((identity = r.recv(ZMQ.DONTWAIT)) != null) {
      int frames = 1;
      byte[] last = identity;
      byte[] delimiter = null;
      while (r.hasReceiveMore()) {
        last = r.recv(0);
        frames++;
        if (frames == 2) {
          delimiter = last;
        }
      }
      if (frames != 3 || delimiter == null || delimiter.length != 0 || last.length != 8) {
        continue;
      }
      long start = ByteBuffer.wrap(last).getLong();
      for (Outgoing out : ring) {
        if (out.sequence() >= start) {
          r.sendMore(identity);
          r.sendMore(EMPTY);
          r.sendMore(sequenceBytes(out.sequence()));
          r.send(out.payload());
        }
      }
      r.sendMore(identity);
      r.sendMore(EMPTY);
      r.sendMore(sequenceBytes(-1));
      r.send(EMPTY);
    }
  }

  /** A new process: sockets closed and bound again on the same ports, ring emptied. */
  private void rebind() {
    ring.clear();
    context.destroySocket(pub);
    pub = context.createSocket(SocketType.PUB);
    pub.setLinger(0);
    pub.setSndHWM(100_000);
    bindRetrying(pub, publishPort);
    ZMQ.Socket r = router;
    if (r != null) {
      context.destroySocket(r);
      r = context.createSocket(SocketType.ROUTER);
      r.setLinger(0);
      r.setSndHWM(0);
      bindRetrying(r, replayPort);
      router = r;
    }
  }

  private int bind(ZMQ.Socket socket, int port) {
    if (port == 0) {
      return socket.bindToRandomPort("tcp://" + options.host());
    }
    socket.bind("tcp://" + options.host() + ":" + port);
    return port;
  }

  /** The old listener closes asynchronously; the port may need a moment to come free. */
  private void bindRetrying(ZMQ.Socket socket, int port) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        socket.bind("tcp://" + options.host() + ":" + port);
        return;
      } catch (ZMQException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        SimulatedEngine.sleepQuietly(20);
      }
    }
  }

  static byte[] sequenceBytes(long sequence) {
    return ByteBuffer.allocate(8).putLong(sequence).array();
  }
}
