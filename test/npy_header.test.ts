// .npy headers are parsed as the Python literal they are (src/data/npy_rows.ts parsePythonDict), not by regex: a
// shape written inside a string is a string, never the shape (the red team's decoy header was read as shape (1, 4));
// the dict must hold exactly 'descr', 'fortran_order' and 'shape', as NumPy's own reader requires; anything else is
// refused at its byte offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNpyHeader, readNpyDictionary } from '../src/data/npy_rows.ts';
import { DataFormatError } from '../src/data/data_format_error.ts';

/** A version-1 .npy header holding `dict` as its text (padded with a newline). */
function header(dict: string): Uint8Array {
  const text = new TextEncoder().encode(`${dict}\n`);
  const bytes = new Uint8Array(10 + text.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, text.length, true);
  bytes.set(text, 10);
  return bytes;
}

function refusal(dict: string): string {
  try {
    parseNpyHeader(header(dict), 'x.npy');
  } catch (error) {
    assert.ok(error instanceof DataFormatError, String(error));
    return (error as Error).message;
  }
  throw new Error(`accepted ${dict}`);
}

test('the forms NumPy writes: any key order, trailing commas, Python 2 longs, double quotes, blanks', () => {
  for (const dict of [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
    "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}",
    '{"descr": "<f4", "fortran_order": False, "shape": (2,3,)}',
    "{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 ) }      ",
  ]) {
    const parsed = parseNpyHeader(header(dict), 'x.npy');
    assert.equal('need' in parsed ? null : [parsed.dtype, parsed.shape], ['f4', [2, 3]], dict);
  }
  const labels = readNpyDictionary(header("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }"), 'labels.npy');
  assert.equal('need' in labels ? null : [labels.descr, labels.dims, labels.shapeText], ['|u1', [7], '7']);
});

test('a shape inside a string is not the shape: a decoy key is refused, never read as the shape', () => {
  const decoy = "{'note': \"'shape': (1, 4)\", 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}";
  assert.match(refusal(decoy), "expected a header with exactly 'descr', 'fortran_order' and 'shape'; unknown 'note'");
  assert.match(
    refusal("{'descr': \"'shape': (1, 4)\", 'fortran_order': False, 'shape': (2, 3)}"),
    "expected 'descr' to be a simple dtype",
  );
  assert.match(
    refusal("{'descr': '<f4', 'fortran_order': False, 'shape': \"(2, 3)\"}"),
    "expected 'shape' to be a tuple",
  );
});

test('anything else is refused at its offset: missing or repeated keys, bad values, text after the dict', () => {
  assert.match(refusal("{'descr': '<f4', 'shape': (2, 3)}"), "missing 'fortran_order'");
  assert.match(
    refusal("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}"),
    "at byte 27: the key 'descr' is given twice",
  );
  assert.match(
    refusal("{'descr': '<f4', 'fortran_order': false, 'shape': (2, 3)}"),
    'expected a string, a number, True, False, None or a tuple, found "false',
  );
  assert.match(
    refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk"),
    'unexpected text after the dict',
  );
  assert.match(
    refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3"),
    "expected ',' or ')', found the end",
  );
  assert.match(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.5)}"), 'expected a string, a number');
  assert.match(refusal("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}"), 'not a structured dtype');
  assert.match(
    refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1234567890123456)}"),
    'expected a shape of at least 2 positive integer dimensions',
  );
});

test.run();
