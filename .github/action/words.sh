# Sourced by run.sh: split an input into words the way a POSIX shell splits
# and unquotes a command line, without evaluating anything.
#
#   split_words "$TEXT" || exit 2   # the words are in the array `words`
#
# Rules (POSIX "Quote removal" and "Field splitting", minus every expansion):
# blanks (space, tab, newline, CR) separate words; '…' keeps everything
# literally; "…" keeps everything literally except that \ before " \ $ `
# gives that character and \ before a newline joins lines; outside quotes \
# keeps the next character literally. `$VAR`, `$(…)`, backticks, `~` and
# globs are NOT expanded: they stay as written. An unclosed quote is an error.
# Bash 3.2 compatible (macOS runners): no namerefs, the result is global.

split_words() {
  local s=$1 n=${#1} i=0 c next word="" inword=0 quote=""
  words=()
  while [ "$i" -lt "$n" ]; do
    c=${s:i:1}
    if [ "$quote" = "'" ]; then
      if [ "$c" = "'" ]; then quote=""; else word+=$c; fi
    elif [ "$quote" = '"' ]; then
      if [ "$c" = '"' ]; then
        quote=""
      elif [ "$c" = '\' ] && [ $((i + 1)) -lt "$n" ]; then
        next=${s:i+1:1}
        case $next in
          '"' | '\' | '$' | '`') word+=$next; i=$((i + 1)) ;;
          $'\n') i=$((i + 1)) ;;
          *) word+=$c ;;
        esac
      else
        word+=$c
      fi
    else
      case $c in
        ' ' | $'\t' | $'\n' | $'\r')
          if [ "$inword" = 1 ]; then words+=("$word"); word=""; inword=0; fi ;;
        "'" | '"') quote=$c; inword=1 ;;
        '\')
          if [ $((i + 1)) -lt "$n" ]; then
            i=$((i + 1))
            next=${s:i:1}
            if [ "$next" != $'\n' ]; then word+=$next; inword=1; fi
          else
            word+=$c; inword=1
          fi ;;
        *) word+=$c; inword=1 ;;
      esac
    fi
    i=$((i + 1))
  done
  if [ -n "$quote" ]; then
    # The input itself is not echoed: it may hold workflow commands.
    if [ "$quote" = "'" ]; then
      echo "::error title=chat-template-lint::${split_input_name:-an input} has a ' quote that is never closed; quote like a shell (--exclude 'x/**' or --exclude \"x/**\"), or write a literal ' as \\'"
    else
      echo "::error title=chat-template-lint::${split_input_name:-an input} has a \" quote that is never closed; quote like a shell (--exclude 'x/**' or --exclude \"x/**\"), or write a literal \" as \\\""
    fi
    return 1
  fi
  if [ "$inword" = 1 ]; then words+=("$word"); fi
  return 0
}
