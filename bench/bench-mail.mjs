/** The ~2 KB body every sender in the benchmark sends: 26 lines of 75 characters, two starting with dots. */
export const benchText = Array.from({ length: 26 }, (_, i) => (i === 9 ? '.' : i === 19 ? '..' : '').padEnd(75, 'x')).join('\n') + '\n';
