package io.inferencecache.server.tokenize;

import com.hubspot.jinjava.el.ext.NamedParameter;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * The methods of Python's {@code str} that chat templates call on strings ({@code
 * content.startswith('<tool_response>')}, {@code content.split('</think>')[-1].lstrip('\n')}), with
 * Python's semantics: {@code split} takes a literal separator (Java's takes a regular expression),
 * {@code strip} takes a set of characters, {@code startswith} a string or a tuple. Calls it does
 * not know fall through to Jinjava's resolvers.
 */
final class PythonStrings extends ELResolver {

  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
    if (!(base instanceof String text) || method == null) {
      return null;
    }
    String name = method.toString();
    Object[] args = positional(name, params == null ? new Object[0] : params);
    Object result =
        switch (name) {
          case "startswith" -> affix(text, args, true);
          case "endswith" -> affix(text, args, false);
          case "strip" -> strip(text, chars(args), true, true);
          case "lstrip" -> strip(text, chars(args), true, false);
          case "rstrip" -> strip(text, chars(args), false, true);
          case "split" -> split(text, args);
          case "upper" -> text.toUpperCase(Locale.ROOT);
          case "lower" -> text.toLowerCase(Locale.ROOT);
          case "title" -> title(text);
          case "capitalize" -> capitalize(text);
          case "replace" -> replace(text, args);
          case "find" -> (long) text.indexOf(string(args, 0, "find"));
          case "count" -> count(text, string(args, 0, "count"));
          case "join" -> join(text, args);
          case "isdigit" -> !text.isEmpty() && text.chars().allMatch(Character::isDigit);
          case "isspace" -> !text.isEmpty() && text.chars().allMatch(c -> space((char) c));
          default -> Unresolved.INSTANCE;
        };
    if (result == Unresolved.INSTANCE) {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private enum Unresolved {
    INSTANCE
  }

  /** Python's parameter names of the methods that take keywords, in order. */
  private static final Map<String, List<String>> PARAMETERS =
      Map.of(
          "split", List.of("sep", "maxsplit"),
          "strip", List.of("chars"),
          "lstrip", List.of("chars"),
          "rstrip", List.of("chars"),
          "replace", List.of("old", "new", "count"),
          "startswith", List.of("prefix"),
          "endswith", List.of("suffix"));

  /**
   * The arguments in Python's positional order: keyword arguments ({@code maxsplit=1}, which
   * Jinjava passes as named parameters) go to their parameter's place.
   */
  private static Object[] positional(String method, Object[] args) {
    List<String> names = PARAMETERS.getOrDefault(method, List.of());
    List<Object> out = new ArrayList<>();
    for (Object arg : args) {
      if (!(arg instanceof NamedParameter)) {
        out.add(arg);
      }
    }
    for (Object arg : args) {
      if (arg instanceof NamedParameter named) {
        int at = names.indexOf(named.getName());
        if (at < 0) {
          throw new ELException(
              method + "() got an unexpected keyword argument " + named.getName());
        }
        while (out.size() <= at) {
          out.add(null);
        }
        out.set(at, named.getValue());
      }
    }
    return out.toArray();
  }

  /** Python's whitespace: Java's, plus the no-break spaces and NEL. */
  static boolean space(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }

  private static boolean affix(String text, Object[] args, boolean prefix) {
    if (args.length == 0) {
      throw new ELException((prefix ? "startswith" : "endswith") + " takes one argument");
    }
    Object arg = args[0];
    if (arg instanceof Iterable<?> options) {
      for (Object option : options) {
        if (matches(text, String.valueOf(option), prefix)) {
          return true;
        }
      }
      return false;
    }
    return matches(text, String.valueOf(arg), prefix);
  }

  private static boolean matches(String text, String affix, boolean prefix) {
    return prefix ? text.startsWith(affix) : text.endsWith(affix);
  }

  /** The characters to strip: Python's default is whitespace (null here). */
  private static String chars(Object[] args) {
    return args.length == 0 || args[0] == null ? null : args[0].toString();
  }

  static String strip(String text, String chars, boolean left, boolean right) {
    int from = 0;
    int to = text.length();
    if (left) {
      while (from < to && strippable(text.charAt(from), chars)) {
        from++;
      }
    }
    if (right) {
      while (to > from && strippable(text.charAt(to - 1), chars)) {
        to--;
      }
    }
    return text.substring(from, to);
  }

  private static boolean strippable(char c, String chars) {
    return chars == null ? space(c) : chars.indexOf(c) >= 0;
  }

  /** Python's {@code split(sep=None, maxsplit=-1)}. */
  static List<String> split(String text, Object[] args) {
    String separator = args.length == 0 || args[0] == null ? null : args[0].toString();
    long max = args.length > 1 && args[1] instanceof Number n ? n.longValue() : -1;
    if (max == 0) {
      if (separator != null) {
        return List.of(text);
      }
      String rest = strip(text, null, true, false);
      return rest.isEmpty() ? List.of() : List.of(rest);
    }
    List<String> parts = new ArrayList<>();
    if (separator == null) {
      int i = 0;
      int n = text.length();
      while (i < n) {
        while (i < n && space(text.charAt(i))) {
          i++;
        }
        if (i == n) {
          break;
        }
        if (max >= 0 && parts.size() == max) {
          parts.add(text.substring(i));
          break;
        }
        int j = i;
        while (j < n && !space(text.charAt(j))) {
          j++;
        }
        parts.add(text.substring(i, j));
        i = j;
      }
      return parts;
    }
    if (separator.isEmpty()) {
      throw new ELException("empty separator");
    }
    int from = 0;
    int at;
    while ((max < 0 || parts.size() < max) && (at = text.indexOf(separator, from)) >= 0) {
      parts.add(text.substring(from, at));
      from = at + separator.length();
    }
    parts.add(text.substring(from));
    return parts;
  }

  private static String title(String text) {
    StringBuilder out = new StringBuilder(text.length());
    boolean previousCased = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
      previousCased = Character.isLetter(c);
    }
    return out.toString();
  }

  private static String capitalize(String text) {
    return text.isEmpty()
        ? text
        : Character.toUpperCase(text.charAt(0)) + text.substring(1).toLowerCase(Locale.ROOT);
  }

  private static String replace(String text, Object[] args) {
    String old = string(args, 0, "replace");
    String replacement = string(args, 1, "replace");
    long count = args.length > 2 && args[2] instanceof Number n ? n.longValue() : -1;
    if (count < 0) {
      return text.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (long done = 0; done < count; done++) {
      int at = text.indexOf(old, from);
      if (at < 0) {
        break;
      }
      out.append(text, from, at).append(replacement);
      from = at + old.length();
      if (old.isEmpty()) {
        if (from >= text.length()) {
          break;
        }
        out.append(text.charAt(from++));
      }
    }
    return out.append(text.substring(Math.min(from, text.length()))).toString();
  }

  private static long count(String text, String part) {
    if (part.isEmpty()) {
      return text.length() + 1L;
    }
    long count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
      count++;
    }
    return count;
  }

  private static String join(String separator, Object[] args) {
    if (args.length == 0 || !(args[0] instanceof Iterable<?> items)) {
      throw new ELException("join takes a list");
    }
    StringBuilder out = new StringBuilder();
    Iterator<?> it = items.iterator();
    while (it.hasNext()) {
      out.append(it.next());
      if (it.hasNext()) {
        out.append(separator);
      }
    }
    return out.toString();
  }

  private static String string(Object[] args, int i, String method) {
    if (args.length <= i || args[i] == null) {
      throw new ELException(method + " is missing argument " + (i + 1));
    }
    return args[i].toString();
  }

  // Properties are not this resolver's: all fall through.

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
