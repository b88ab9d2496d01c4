package io.inferencecache.server.tokenize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/**
 * A Python slice, {@code base[start:stop]} or {@code base[start:stop:step]}, on a string, list or
 * array, with Python's rules: negative indices count from the end, a negative step walks backwards,
 * bounds are clipped, a left-out part takes its default. A zero step is an error, as in Python.
 */
final class AstSlice extends AstRightValue {

  private final AstNode base;
  private final AstNode start;
  private final AstNode stop;
  private final AstNode step;

  AstSlice(AstNode base, AstNode start, AstNode stop, AstNode step) {
    this.base = base;
    this.start = start;
    this.stop = stop;
    this.step = step;
  }

  @Override
  public Object eval(Bindings bindings, ELContext context) {
    Object value = base.eval(bindings, context);
    if (value == null) {
      return null;
    }
    Long first = bound(start, bindings, context);
    Long last = bound(stop, bindings, context);
    Long stride = bound(step, bindings, context);
    if (value instanceof CharSequence text) {
      int[] code = text.codePoints().toArray();
      StringBuilder out = new StringBuilder();
      for (int i : indices(code.length, first, last, stride)) {
        out.appendCodePoint(code[i]);
      }
      return out.toString();
    }
    List<?> items;
    if (value instanceof List<?> list) {
      items = list;
    } else if (value instanceof Collection<?> collection) {
      items = new ArrayList<>(collection);
    } else if (value instanceof Object[] array) {
      items = Arrays.asList(array);
    } else {
      throw new ELException("cannot slice a " + value.getClass().getSimpleName());
    }
    List<Object> out = new ArrayList<>();
    for (int i : indices(items.size(), first, last, stride)) {
      out.add(items.get(i));
    }
    return out;
  }

  private static Long bound(AstNode node, Bindings bindings, ELContext context) {
    if (node == null) {
      return null;
    }
    Object value = node.eval(bindings, context);
    if (value == null) {
      return null;
    }
    if (value instanceof Number number) {
      return number.longValue();
    }
    throw new ELException("slice indices must be integers or none, got " + value);
  }

  /** The indices Python's {@code slice(start, stop, step).indices(length)} walks. */
  static int[] indices(int length, Long start, Long stop, Long step) {
    long stride = step == null ? 1 : step;
    if (stride == 0) {
      throw new ELException("slice step cannot be zero");
    }
    long from;
    long to;
    if (stride > 0) {
      from = start == null ? 0 : clip(start, length, 0, length);
      to = stop == null ? length : clip(stop, length, 0, length);
    } else {
      from = start == null ? length - 1 : clip(start, length, -1, length - 1);
      to = stop == null ? -1 : clip(stop, length, -1, length - 1);
    }
    int count = 0;
    if (stride > 0 && from < to) {
      count = (int) ((to - from + stride - 1) / stride);
    } else if (stride < 0 && from > to) {
      count = (int) ((from - to - stride - 1) / -stride);
    }
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = (int) (from + i * stride);
    }
    return out;
  }

  private static long clip(long index, int length, long low, long high) {
    long at = index < 0 ? index + length : index;
    return Math.max(low, Math.min(high, at));
  }

  @Override
  public void appendStructure(StringBuilder out, Bindings bindings) {
    base.appendStructure(out, bindings);
    out.append('[');
    append(out, start, bindings);
    out.append(':');
    append(out, stop, bindings);
    out.append(':');
    append(out, step, bindings);
    out.append(']');
  }

  private static void append(StringBuilder out, AstNode node, Bindings bindings) {
    if (node != null) {
      node.appendStructure(out, bindings);
    }
  }

  @Override
  public int getCardinality() {
    return 4;
  }

  @Override
  public AstNode getChild(int i) {
    return switch (i) {
      case 0 -> base;
      case 1 -> start;
      case 2 -> stop;
      case 3 -> step;
      default -> null;
    };
  }
}
