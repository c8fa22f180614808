import { extractCodeBlocks } from '../chat/codeblocks';

describe('extractCodeBlocks', () => {
  it('finds fenced blocks in order with their language', () => {
    const text = [
      'First:',
      '```python',
      'import math',
      'print(math.pi)',
      '```',
      'Then run it in a shell:',
      '```bash title="x"',
      'python x.py',
      '```'
    ].join('\n');
    expect(extractCodeBlocks(text)).toEqual([
      {
        index: 0,
        language: 'python',
        code: 'import math\nprint(math.pi)',
        closed: true
      },
      { index: 1, language: 'bash', code: 'python x.py', closed: true }
    ]);
  });

  it('reads tildes, longer fences and unlabelled blocks', () => {
    const text = [
      '~~~',
      'a = 1',
      '~~~',
      '````Python',
      '```',
      'inner fence stays code',
      '```',
      '````'
    ].join('\n');
    const blocks = extractCodeBlocks(text);
    expect(blocks.map(b => [b.language, b.code])).toEqual([
      ['', 'a = 1'],
      ['python', '```\ninner fence stays code\n```']
    ]);
  });

  it('does not close a backtick fence with tildes or a shorter fence', () => {
    const text = '````\nx = 1\n~~~~\n```\ny = 2\n````';
    expect(extractCodeBlocks(text)[0].code).toBe('x = 1\n~~~~\n```\ny = 2');
  });

  it('removes the indentation of an indented fence from its lines', () => {
    const text = '1. Step:\n   ```python\n   def f():\n       return 1\n   ```';
    expect(extractCodeBlocks(text)[0].code).toBe('def f():\n    return 1');
  });

  it('keeps an unclosed block (an answer cut short) as not closed', () => {
    const blocks = extractCodeBlocks('Here:\n```python\nfor i in range(3):\n');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      code: 'for i in range(3):\n',
      closed: false
    });
  });

  it('ignores inline code, 4-space indented fences, blank blocks and CRLF', () => {
    const text = [
      'Use `x` and ```y``` inline.',
      '    ```',
      '    not a fence',
      '    ```',
      '```',
      '   ',
      '```',
      '```py\r\nprint(1)\r\n```'
    ].join('\n');
    expect(extractCodeBlocks(text)).toEqual([
      { index: 0, language: 'py', code: 'print(1)', closed: true }
    ]);
  });

  it('returns nothing for text without code', () => {
    expect(extractCodeBlocks('Just words.')).toEqual([]);
  });
});
