/**
 * CodeMirror's own words (search panel, go to line, folding, completion) in Chinese, given to the
 * template editor through EditorState.phrases. The keys are CodeMirror's English phrases.
 */
export const editorPhrasesZhCN: Readonly<Record<string, string>> = {
  // @codemirror/view
  'Control character': '控制字符',
  // @codemirror/commands
  'Selection deleted': '已删除所选内容',
  // @codemirror/language
  'Folded lines': '已折叠的行',
  'Unfolded lines': '已展开的行',
  to: '至',
  'folded code': '已折叠的代码',
  unfold: '展开',
  'Fold line': '折叠该行',
  'Unfold line': '展开该行',
  // @codemirror/search
  'Go to line': '转到行',
  go: '转到',
  Find: '查找',
  Replace: '替换',
  next: '下一个',
  previous: '上一个',
  all: '全部',
  'match case': '区分大小写',
  'by word': '全字匹配',
  regexp: '正则表达式',
  replace: '替换',
  'replace all': '全部替换',
  close: '关闭',
  'current match': '当前匹配',
  'replaced $ matches': '已替换 $ 处匹配',
  'replaced match on line $': '已替换第 $ 行的匹配',
  'on line': '所在行',
  // @codemirror/autocomplete
  Completions: '补全',
  // @codemirror/lint
  Diagnostics: '诊断',
  'No diagnostics': '没有诊断信息',
};
