/**
 * The admission webhooks, served over HTTPS as AdmissionReview v1: defaulting and validation of the
 * inferencecache.io kinds, and the Pod mutation that wires engine pods.
 */
@NullMarked
package io.inferencecache.operator.webhook;

import org.jspecify.annotations.NullMarked;
