package io.inferencecache.server.tokenize;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Properties;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * Jinjava set up to render Hugging Face chat templates as {@code transformers} renders them with
 * Python's Jinja2: blocks trimmed and left-stripped, {@code {%-}} and {@code -%}} honoured on
 * expressions too, filters binding tighter than arithmetic, keyword arguments and stepped slices
 * ({@link HfParser}), Python's string methods ({@link PythonStrings}), {@code tojson} as Python's
 * {@code json.dumps} ({@link PythonJson}), and the globals {@code raise_exception} and {@code
 * strftime_now}. Output is bounded; a template that exceeds it fails to render.
 */
final class HfJinja extends Jinjava {

  private final ExpressionFactory expressions;

  HfJinja(long maxOutputBytes) {
    super(config(maxOutputBytes));
    Properties properties = new Properties();
    properties.setProperty(TreeBuilder.class.getName(), HfParser.SyntaxBuilder.class.getName());
    this.expressions = new ExpressionFactoryImpl(properties, new TruthyTypeConverter());
    registerFilter(new ToJson());
    registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", HfJinja.class, "raiseException", String.class));
    registerFunction(
        new ELFunctionDefinition("", "strftime_now", HfJinja.class, "strftimeNow", String.class));
  }

  private static JinjavaConfig config(long maxOutputBytes) {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonStrings());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    return JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withMaxOutputSize(maxOutputBytes)
        .withElResolver(resolver)
        .withLegacyOverrides(
            LegacyOverrides.newBuilder()
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .withEvaluateMapKeys(true)
                .build())
        .build();
  }

  @Override
  public ExpressionFactory getExpressionFactory() {
    return expressions;
  }

  /** A template's {@code raise_exception(message)}: rendering stops with the message. */
  public static Object raiseException(String message) {
    throw new TemplateRaised(message);
  }

  /** A template's {@code strftime_now(format)}, Python's {@code strftime} on the local time. */
  public static String strftimeNow(String format) {
    return Strftime.format(format, ZonedDateTime.now());
  }

  /** What {@code raise_exception} throws. */
  static final class TemplateRaised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TemplateRaised(String message) {
      super(message, null, false, false);
    }
  }

  /** {@code tojson}, with Python's {@code json.dumps} output and its {@code indent} argument. */
  private static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : null;
      if (indent == null && args.length > 0) {
        indent = args[0];
      }
      return PythonJson.dumps(var, indent == null ? -1 : indent(indent.toString()));
    }

    private static int indent(String value) {
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("tojson indent must be a number, got " + value, e);
      }
    }
  }
}
