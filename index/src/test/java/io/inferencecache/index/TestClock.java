package io.inferencecache.index;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock tests move by hand. */
final class TestClock implements InstantSource {

  private volatile Instant now = Instant.parse("2026-11-23T12:00:00Z");

  @Override
  public Instant instant() {
    return now;
  }

  void advance(Duration by) {
    now = now.plus(by);
  }

  long micros() {
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
