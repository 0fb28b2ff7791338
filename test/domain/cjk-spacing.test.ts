import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinSpaced, needsSpaceBetween, spacedAfter, spacedBefore } from '../../src/domain/cjk-spacing.ts';

describe('the spacing rule between Chinese and Latin text', () => {
  it('puts a space between Chinese and Latin letters or digits, and none between Chinese and Chinese', () => {
    assert.equal(joinSpaced('王小明', '通过', 'Example Cloud'), '王小明通过 Example Cloud');
    assert.equal(joinSpaced('Bob Berg', '通过', '示例云盘'), 'Bob Berg 通过示例云盘');
    assert.equal(joinSpaced('王小明', '通过', '示例云盘'), '王小明通过示例云盘');
    assert.equal(joinSpaced('另有', '3', '条动态'), '另有 3 条动态');
    assert.equal(joinSpaced('Zoë', '修改了文件'), 'Zoë 修改了文件');
  });

  it('puts none next to punctuation, and skips empty parts', () => {
    assert.equal(joinSpaced('与您共享了“', 'Budget 2026.xlsx', '”。'), '与您共享了“Budget 2026.xlsx”。');
    assert.equal(joinSpaced('（', 'GMT+8', '）'), '（GMT+8）');
    assert.equal(joinSpaced('', '通过', ''), '通过');
    assert.equal(needsSpaceBetween('。', 'A'), false);
    assert.equal(needsSpaceBetween(undefined, '中'), false);
  });

  it('spaces a value from its neighbours without touching the inside of the value', () => {
    assert.equal(spacedBefore('Bob Berg', '与'), 'Bob Berg ');
    assert.equal(spacedBefore('李华', '与'), '李华');
    assert.equal(spacedAfter('于', '2026年12月3日'), ' 2026年12月3日');
    // A file name keeps its own (missing) spaces: "2026年度预算" is not changed to "2026 年度预算".
    assert.equal(spacedAfter('“', '2026年度预算.xlsx'), '2026年度预算.xlsx');
    assert.equal(spacedBefore('Plan B', '（'), 'Plan B');
  });
});
