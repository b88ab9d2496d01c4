package io.inferencecache.operator.validation;

import org.jspecify.annotations.Nullable;

/**
 * One admission error, shaped and worded as Kubernetes' field errors so that {@code kubectl} users
 * read what they are used to: {@code spec.x: Invalid value: "v": what to change}.
 *
 * @param type what kind of error
 * @param field the field path, {@code spec.lmCache.podLocal.server.image}
 * @param badValue the offending value, when one is shown
 * @param detail what is wrong and what to do
 */
public record FieldError(Type type, String field, @Nullable String badValue, String detail) {

  /** Kubernetes' field-error types that admission uses. */
  public enum Type {
    REQUIRED("Required value"),
    FORBIDDEN("Forbidden"),
    INVALID("Invalid value"),
    NOT_SUPPORTED("Unsupported value"),
    DUPLICATE("Duplicate value");

    private final String words;

    Type(String words) {
      this.words = words;
    }
  }

  public static FieldError required(String field, String detail) {
    return new FieldError(Type.REQUIRED, field, null, detail);
  }

  public static FieldError forbidden(String field, String detail) {
    return new FieldError(Type.FORBIDDEN, field, null, detail);
  }

  public static FieldError invalid(String field, @Nullable Object value, String detail) {
    return new FieldError(Type.INVALID, field, value == null ? null : value.toString(), detail);
  }

  public static FieldError notSupported(String field, @Nullable Object value, String detail) {
    return new FieldError(
        Type.NOT_SUPPORTED, field, value == null ? null : value.toString(), detail);
  }

  public static FieldError duplicate(String field, @Nullable Object value, String detail) {
    return new FieldError(Type.DUPLICATE, field, value == null ? null : value.toString(), detail);
  }

  @Override
  public String toString() {
    return field
        + ": "
        + type.words
        + (badValue == null ? "" : ": \"" + badValue + "\"")
        + ": "
        + detail;
  }
}
