package io.inferencecache.subscriber.report;

import io.grpc.stub.StreamObserver;
import io.inferencecache.proto.v1alpha1.Ack;
import java.util.concurrent.CompletableFuture;

/**
 * Receives the server's {@link Ack} of a call into a future: its value, its error, or — for a call
 * that completes without one — an accepted Ack.
 */
public final class AckObserver implements StreamObserver<Ack> {

  private final CompletableFuture<Ack> ack;

  public AckObserver(CompletableFuture<Ack> ack) {
    this.ack = ack;
  }

  @Override
  public void onNext(Ack value) {
    ack.complete(value);
  }

  @Override
  public void onError(Throwable t) {
    ack.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    ack.complete(Ack.newBuilder().setAccepted(true).build());
  }
}
