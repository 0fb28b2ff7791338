import { useI18n } from '../../i18n.ts';

/** What a variable button inserts: `{{ user.email }}`; a list's loop; a list field as the loop variable's (`a.link`). */
function variableEntry(path: string): { label: string; insert: string; list?: string } {
  const listField = /^(\w+)\[\]\.(.+)$/.exec(path);
  if (listField) {
    const list = listField[1] as string;
    const label = `${list.slice(0, 1)}.${listField[2] as string}`;
    return { label, insert: `{{ ${label} }}`, list };
  }
  return { label: path, insert: `{{ ${path} }}` };
}

/** The variables the template may use; each button puts `{{ name }}` where the cursor last was. */
export function Variables(props: { variables: readonly string[]; onInsert(text: string, cursor?: number): void }) {
  const { t } = useI18n();
  return (
    <section class="tpl-variables" aria-labelledby="template-variables-title">
      <h3 id="template-variables-title">{t('templateVariables')}</h3>
      <p class="hint" id="template-variables-hint">
        {t('templateVariablesHint')}
      </p>
      <ul id="template-variables">
        {props.variables.map((path) => {
          const entry = variableEntry(path);
          const loop = props.variables.some((v) => v.startsWith(`${path}[].`));
          // A list inserts its loop, with the cursor on the empty line inside it.
          const shown = loop ? `{% for ${path.slice(0, 1)} in ${path} %}` : entry.insert;
          const insert = loop ? `${shown}\n\n{% endfor %}` : entry.insert;
          const cursor = loop ? shown.length + 1 : insert.length;
          return (
            <li key={path} class={entry.list ? 'in-list' : ''}>
              <button
                type="button"
                class="chip"
                data-variable={path}
                aria-label={t('templateInsert', { text: shown })}
                title={entry.list ? t('templateVariableInList', { list: entry.list }) : undefined}
                // Keeps the focus (and so the cursor) where it was while the mouse is down.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => props.onInsert(insert, cursor)}
              >
                <code>{loop ? `${path}[]` : entry.label}</code>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
