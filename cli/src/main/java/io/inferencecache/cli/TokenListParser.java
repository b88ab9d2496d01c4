package io.inferencecache.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.Arrays;

/**
 * Reads token ids written as decimal integers separated by commas and/or white space, optionally
 * inside one pair of brackets (so a JSON array works too). Every id must be an unsigned 32-bit
 * integer; the first one that is not is reported with its position.
 */
final class TokenListParser {

  /** The most ids one input may hold (64 MiB of ids), far above any model's context. */
  static final int MAX_TOKENS = 1 << 24;

  private static final long MAX_ID = 0xFFFF_FFFFL;

  /** A token list that cannot be read; the message names the offending token and its position. */
  static final class TokenListException extends Exception {
    TokenListException(String message) {
      super(message);
    }
  }

  private final String source;
  private int[] tokens = new int[256];
  private int count;
  private int line = 1;
  private boolean multiline;
  private boolean bracketOpen;
  private boolean bracketClosed;

  private TokenListParser(String source) {
    this.source = source;
  }

  /** Parses an inline list, such as the value of {@code --tokens}. */
  static int[] parse(String source, String text) throws TokenListException {
    TokenListParser parser = new TokenListParser(source);
    parser.consumeLine(text);
    return parser.finish();
  }

  /** Parses a list that may span lines, such as a file or standard input. */
  static int[] parse(String source, Reader reader) throws TokenListException, IOException {
    TokenListParser parser = new TokenListParser(source);
    parser.multiline = true;
    BufferedReader lines = new BufferedReader(reader);
    for (String text = lines.readLine(); text != null; text = lines.readLine()) {
      parser.consumeLine(text);
      parser.line++;
    }
    return parser.finish();
  }

  private void consumeLine(String text) throws TokenListException {
    int i = 0;
    int length = text.length();
    while (i < length) {
      char c = text.charAt(i);
      if (c == ',' || Character.isWhitespace(c)) {
        i++;
      } else if (c == '[' && !bracketOpen && count == 0) {
        bracketOpen = true;
        i++;
      } else if (c == ']' && bracketOpen && !bracketClosed) {
        bracketClosed = true;
        i++;
      } else {
        int end = i;
        while (end < length
            && text.charAt(end) != ','
            && !Character.isWhitespace(text.charAt(end))) {
          end++;
        }
        String word = text.substring(i, end);
        boolean closes = bracketOpen && !bracketClosed && word.endsWith("]");
        add(closes ? word.substring(0, word.length() - 1) : word);
        bracketClosed |= closes;
        i = end;
      }
    }
  }

  private void add(String word) throws TokenListException {
    if (bracketClosed && !word.isEmpty()) {
      throw error(word, "follows the closing ']'");
    }
    if (word.isEmpty()) {
      return;
    }
    long id = parseId(word);
    if (count == MAX_TOKENS) {
      throw new TokenListException(source + ": more than " + MAX_TOKENS + " token ids");
    }
    if (count == tokens.length) {
      tokens = Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[count++] = (int) id;
  }

  private long parseId(String word) throws TokenListException {
    boolean digits = word.length() <= 10 && word.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    long value = digits ? Long.parseLong(word) : -1;
    if (!digits || value > MAX_ID) {
      throw error(word, "is not an integer in 0.." + MAX_ID);
    }
    return value;
  }

  private TokenListException error(String word, String problem) {
    String where = multiline ? "line " + line + ", token " + (count + 1) : "token " + (count + 1);
    return new TokenListException(source + ": " + where + " ('" + shorten(word) + "') " + problem);
  }

  private static String shorten(String word) {
    return word.length() <= 24 ? word : word.substring(0, 21) + "...";
  }

  private int[] finish() throws TokenListException {
    if (bracketOpen && !bracketClosed) {
      throw new TokenListException(source + ": '[' is never closed with ']'");
    }
    return Arrays.copyOf(tokens, count);
  }
}
