package io.inferencecache.server.tokenize;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;

/**
 * Jinjava's expression parser with the two pieces of Python Jinja2 syntax that chat templates use
 * and Jinjava reads differently:
 *
 * <ul>
 *   <li>a keyword argument's value is a whole expression: {@code namespace(i=messages|length - 1)}
 *       passes {@code i = (messages|length) - 1}, where Jinjava binds {@code =} before {@code -};
 *   <li>slices are Python's: a step ({@code messages[::-1]}, {@code text[1:-1:2]}), bounds clipped
 *       ({@code 'ab'[-5:]}), strings cut by code point.
 * </ul>
 *
 * Everything else is Jinjava's. It needs Jinjava's natural operator precedence (filters bind
 * tighter than arithmetic, as in Jinja2), which {@link HfJinja} always turns on.
 */
final class HfParser extends ExtendedParser {

  HfParser(Builder context, String input) {
    super(context, input);
  }

  /** Jinjava's syntax builder, making this parser. */
  public static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;

    public SyntaxBuilder() {
      super();
    }

    public SyntaxBuilder(Builder.Feature... features) {
      super(features);
    }

    @Override
    protected Parser createParser(String expression) {
      return new HfParser(this, expression);
    }
  }

  @Override
  protected AstParameters params(Symbol left, Symbol right)
      throws Scanner.ScanException, ParseException {
    consumeToken(left);
    List<AstNode> arguments = new ArrayList<>();
    while (getToken().getSymbol() != right) {
      arguments.add(argument());
      if (getToken().getSymbol() != Symbol.COMMA) {
        break;
      }
      consumeToken();
    }
    consumeToken(right);
    return createAstParameters(arguments);
  }

  /** One argument: {@code name=expression} or an expression. */
  private AstNode argument() throws Scanner.ScanException, ParseException {
    if (getToken().getSymbol() == Symbol.IDENTIFIER) {
      Scanner.Token next = lookahead(0);
      if (next.getSymbol() == Symbol.EXTENSION && "=".equals(next.getImage())) {
        String name = consumeToken().getImage();
        consumeToken();
        return new AstNamedParameter(identifier(name), expr(true));
      }
    }
    return expr(true);
  }

  @Override
  protected AstNode value() throws Scanner.ScanException, ParseException {
    boolean lvalue = true;
    AstNode value = nonliteral();
    if (value == null) {
      value = literal();
      if (value == null) {
        return null;
      }
      lvalue = false;
    }
    while (true) {
      Symbol symbol = getToken().getSymbol();
      if (symbol == Symbol.DOT) {
        consumeToken();
        String name = consumeToken(Symbol.IDENTIFIER).getImage();
        var dot = createAstDot(value, name, lvalue);
        value = invocable() ? createAstMethod(dot, params()) : dot;
      } else if (symbol == Symbol.LBRACK) {
        value = subscript(value, lvalue);
      } else {
        return value;
      }
    }
  }

  /** {@code [index]}, {@code [start:stop]} or {@code [start:stop:step]}, any part left out. */
  private AstNode subscript(AstNode base, boolean lvalue)
      throws Scanner.ScanException, ParseException {
    consumeToken(Symbol.LBRACK);
    boolean strict = !context.isEnabled(Builder.Feature.NULL_PROPERTIES);
    AstNode start = expr(false);
    if (!sliceColon()) {
      consumeToken(Symbol.RBRACK);
      var bracket = createAstBracket(base, start, lvalue, strict);
      return invocable() ? createAstMethod(bracket, params()) : bracket;
    }
    consumeToken();
    AstNode stop = sliceColon() ? null : expr(false);
    AstNode step = null;
    if (sliceColon()) {
      consumeToken();
      step = expr(false);
    }
    consumeToken(Symbol.RBRACK);
    // Every slice is Python's (Jinjava's own two-part slice fails on a start before the
    // beginning of a string and cuts strings between UTF-16 units).
    return new AstSlice(base, start, stop, step);
  }

  /** A slice's colon (Jinjava scans {@code else} as a colon too). */
  private boolean sliceColon() {
    Scanner.Token token = getToken();
    return token.getSymbol() == Symbol.COLON && ":".equals(token.getImage());
  }

  private boolean invocable() {
    return getToken().getSymbol() == Symbol.LPAREN
        && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS);
  }
}
