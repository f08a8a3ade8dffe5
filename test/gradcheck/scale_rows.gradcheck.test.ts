// scaleRows is linear in a: its gradient against central differences.
import { test } from 'uvu';
import { assertClose } from '../assert_close.ts';
import { seededUniform } from '../seeded_random.ts';
import { scaleRows } from '../reference/scale_rows.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

test('scale_rows: ∂(r · scaled)/∂a = r ⊙ rowScale', () => {
  const [R, N] = [3, 4];
  const a = seededUniform(53, R * N, -1, 1);
  const factors = seededUniform(54, R, 0, 2);
  const r = seededUniform(55, R * N, -1, 1);
  assertClose(
    scaleRows(r, factors, R, N),
    numericGradient((x) => contract(scaleRows(x, factors, R, N), r), a),
    { ...FD_TOL, label: 'scale_rows' },
  );
});

test.run();
