"""NumPy kernels that reproduce, bit for bit, the floating-point functions of XLA:CPU.

``jax.random``'s samplers turn random bits into floats with a few elementwise functions
(``log``, ``log1p``, ``erf_inv``, ``erf``, ``tan``) and multiply-adds.  NumPy's ufuncs for
those functions are accurate, but they are not XLA's: a different last bit in a ``log``
becomes a different normal sample.  The kernels below follow, operation by operation, what
the XLA compiler bundled with JAX 0.10 emits for an x86-64 CPU with FMA, as measured against
it (the comparisons are in ``tests/test_random.py`` and ``docs/random.md``):

* XLA fuses each multiplication that feeds one addition into a fused multiply-add (one
  rounding), so every polynomial below is evaluated with :func:`fma`, which NumPy lacks: it
  is emulated exactly, with float64 arithmetic for float32 and with Dekker's product and
  Boldo and Melquiond's round-to-odd sum for float64.
* float32 ``log`` is the Cephes/Eigen polynomial XLA inlines; float64 ``log``, ``erf`` and
  ``tan`` call the C library, as XLA does (Python's ``math`` module calls the same one).
  float32 ``tan`` is the C library's ``tanf`` (glibc's: a float64 reduction by pi/2 and Sun's
  float kernel), ported here because no Python function calls it.
* ``log1p`` is XLA's Cephes rational approximation for ``|x| < sqrt(2) - 1`` and
  ``log(1 + x)`` elsewhere; ``erf_inv`` is Giles' polynomials in ``w = -log1p(-x*x)``;
  float32 ``erf`` is Eigen's rational approximation.
* XLA:CPU runs with denormals flushed to zero: subnormal inputs read as zero.

Each function takes and returns NumPy arrays of one dtype, float32 or float64, and raises no
floating-point warnings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["erf", "erf_inv", "fma", "log", "log1p", "tan"]

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _f32(bits: int) -> np.float32:
    """The float32 whose IEEE bits are ``bits``."""
    return np.float32(np.array(bits, np.uint32).view(np.float32)[()])


def _flush_subnormals(x: np.ndarray) -> np.ndarray:
    """Subnormal values as zeros of the same sign (XLA:CPU's denormals-are-zero mode)."""
    tiny = np.finfo(x.dtype).tiny
    return np.where(np.abs(x) < tiny, np.copysign(x.dtype.type(0), x), x)


# -- exact fused multiply-add -------------------------------------------------------------------


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s, e`` with ``s = a + b`` rounded and ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    b_virtual = s - a
    a_virtual = np.asarray(s - b_virtual)  # (0-d results are NumPy scalars, not arrays)
    b_virtual = np.asarray(b_virtual)
    # err = (a - a_virtual) + (b - b_virtual), in place (these arrays can be large)
    np.subtract(a, a_virtual, out=a_virtual)
    np.subtract(b, b_virtual, out=b_virtual)
    np.add(a_virtual, b_virtual, out=a_virtual)
    return s, a_virtual


def _round_to_odd(s: np.ndarray, err: np.ndarray) -> np.ndarray:
    """The exact value ``s + err`` (``s`` its nearest float) rounded to odd: ``s`` itself when
    exact or when its last bit is odd, else its neighbour towards ``err``.  Rounding a
    round-to-odd result again, to nearest, is correct (no double-rounding error) whenever the
    first format has two more bits than the second."""
    bits = s.view(np.int64 if s.dtype == _F64 else np.int32)
    # One step of the bit pattern: +1 moves away from zero, so towards err when the signs agree
    # (err NaN, when s is not finite: no step).
    step = np.where(np.signbit(err) == np.signbit(s), 1, -1).astype(bits.dtype)
    step *= (np.abs(err) > 0) & ((bits & 1) == 0)
    return (bits + step).view(s.dtype)


_VELTKAMP = 134217729.0  # 2**27 + 1: splits a float64 into two 26-bit halves


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = _VELTKAMP * a
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a: np.ndarray, b: np.ndarray, c: np.ndarray,
           b_split: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b) if b_split is None else b_split
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo  # a*b == p + p_err
    s, s_err = _two_sum(c, p)
    tail, tail_err = _two_sum(s_err, p_err)
    tail = _round_to_odd(tail, tail_err)
    # s is exact when the tail is 0: adding a +0 tail would turn s = -0 (a*b and c both -0,
    # whose sum IEEE makes -0) into +0.
    out = np.where(tail == 0, s, s + tail)
    # Dekker's product needs a*b and its halves to be finite; otherwise a*b + c is the answer.
    return np.where(np.isfinite(out) & np.isfinite(p), out, p + c)


def _fma32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    a64, b64, c64 = (x.astype(np.float64) for x in (a, b, c))
    s, err = _two_sum(a64 * b64, c64)  # the float32 product is exact in float64
    return _round_to_odd(s, err).astype(np.float32)


def fma(a: Any, b: Any, c: Any) -> np.ndarray:
    """``a * b + c`` rounded once (float32 or float64 operands of one dtype)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(x) for x in (a, b, c)))
    with np.errstate(all="ignore"):
        return (_fma32 if a.dtype == _F32 else _fma64)(a, b, c)


def _horner(x: np.ndarray, coefficients: Sequence[float]) -> np.ndarray:
    """The polynomial with ``coefficients`` (highest degree first) at ``x``, one fma a step."""
    dtype = x.dtype.type
    p = np.full_like(x, dtype(coefficients[0]))
    if x.dtype == _F32:
        x64 = x.astype(np.float64)
        for c in coefficients[1:]:
            s, err = _two_sum(p.astype(np.float64) * x64, np.float64(dtype(c)))
            p = _round_to_odd(s, err).astype(np.float32)
        return p
    x_split = _split(x)  # the same multiplier at every step: split it once
    for c in coefficients[1:]:
        p = _fma64(p, x, np.full_like(x, c), x_split)
    return p


def _piecewise(x: np.ndarray, masks: Sequence[np.ndarray],
               pieces: Sequence[Callable[[np.ndarray], np.ndarray]]) -> np.ndarray:
    """``pieces[i]`` evaluated on the entries of ``x`` where ``masks[i]`` (disjoint masks
    covering ``x``) only: selecting afterwards, as XLA does, would compute them everywhere."""
    out = np.empty_like(x)
    for mask, piece in zip(masks, pieces, strict=True):
        if mask.any():
            out[mask] = piece(x[mask])
    return out


# -- log ----------------------------------------------------------------------------------------

# Cephes' log polynomial in the reduced argument, as XLA inlines it for float32 (Eigen's plog):
# three interleaved Horner chains combined with powers of x**3.
_LOG_P = [_f32(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A,   # 0.0704, -0.1151, 0.1168
                            0xBDFE5D4F, 0x3E11E9BF, 0xBE2AAE50,   # -0.1242, 0.1425, -0.1667
                            0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]  # 0.2000, -0.2500, 0.3333
_LN2_LO, _LN2_HI = _f32(0xB95E8083), _f32(0x3F318000)  # ln 2 = _LN2_HI + _LN2_LO
_SQRT_HALF = _f32(0x3F3504F3)


def _log32(x: np.ndarray) -> np.ndarray:
    one = np.float32(1)
    clamped = np.where(x > np.float32(np.finfo(np.float32).tiny), x,
                       np.finfo(np.float32).tiny)
    bits = clamped.view(np.int32)
    # x = m * 2**e with m in [0.5, 1); below sqrt(1/2), use 2m and e - 1 instead.
    e = ((bits >> 23) - 126).astype(np.float32)
    m = ((bits & np.int32(~0x7F800000)) | np.int32(0x3F000000)).view(np.float32)
    low = m < _SQRT_HALF
    e = e - np.where(low, one, np.float32(0))
    r = (m - one) + np.where(low, m, np.float32(0))
    r2 = r * r
    r3 = r2 * r
    p = _LOG_P
    y0 = fma(fma(r, p[0], p[1]), r, p[2])
    y1 = fma(fma(r, p[3], p[4]), r, p[5])
    y2 = fma(fma(r, p[6], p[7]), r, p[8])
    y = fma(fma(y0, r3, y1), r3, y2)
    y = fma(y, r3, _LN2_LO * e)
    out = fma(_LN2_HI, e, fma(np.float32(-0.5), r2, r) + y)
    out = np.where(x == 0, -np.inf, out)
    out = np.where(x == np.inf, np.inf, out)
    return np.where((x < 0) | np.isnan(x), np.nan, out).astype(np.float32)


def log(x: Any) -> np.ndarray:
    """The natural logarithm, as XLA:CPU computes it."""
    x = _flush_subnormals(np.asarray(x))
    with np.errstate(all="ignore"):
        if x.dtype == _F32:
            return _log32(x)
        inside = (x > 0) & (x < np.inf)
        out = np.where(x == 0, -np.inf, np.where(x == np.inf, np.inf, np.nan))
        if inside.any():
            out[inside] = np.frompyfunc(math.log, 1, 1)(x[inside]).astype(np.float64)
        return out


# -- log1p --------------------------------------------------------------------------------------

# Cephes' rational approximation of (log1p(x) - x + x**2/2) / x**3 for |x| < sqrt(2) - 1.
_LOG1P_NUM = (4.5270000862445199635215e-5, 4.9854102823193375972212e-1,
              6.5787325942061044846969e0, 2.9911919328553073277375e1,
              6.0949667980987787057556e1, 5.7112963590585538103336e1,
              2.0039553499201281259648e1)
_LOG1P_DEN = (1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1,
              2.2176239823732856465394e2, 3.0909872225312059774938e2,
              2.1642788614495947685003e2, 6.0118660497603843919306e1)


def log1p(x: Any) -> np.ndarray:
    """``log(1 + x)``, as XLA:CPU computes it."""
    x = _flush_subnormals(np.asarray(x))
    dtype = x.dtype.type

    def near(x: np.ndarray) -> np.ndarray:
        x2 = x * x
        ratio = _horner(x, _LOG1P_NUM) / _horner(x, _LOG1P_DEN)
        return x + fma(dtype(-0.5), x2, (x * x2) * ratio)

    with np.errstate(all="ignore"):
        is_near = np.abs(x) < dtype(0.41421356237309504880)
        return _piecewise(x, [is_near, ~is_near], [near, lambda x: log(x + dtype(1))])


# -- erf_inv ------------------------------------------------------------------------------------

# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): polynomials in
# t = w - 2.5 (w < 5) or sqrt(w) - 3 (float32), and three ranges for float64.
_ERFINV_F32 = (
    (5.0, 2.5, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)),
    (np.inf, 3.0, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                   0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)),
)
_ERFINV_F64 = (
    (6.25, 3.125, (
        -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
        1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
        6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
        2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
        1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
        4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
        0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
        0.24015818242558961693, 1.6536545626831027356)),
    (16.0, 3.25, (
        2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
        1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
        2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
        6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
        0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
        -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
        3.0838856104922207635)),
    (np.inf, 5.0, (
        -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
        -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
        2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
        -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
        7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
        1.0103004648645343977, 4.8499064014085844221)),
)


def erf_inv(x: Any) -> np.ndarray:
    """The inverse error function on [-1, 1] (``+-inf`` at ``+-1``), as XLA:CPU computes it."""
    x = _flush_subnormals(np.asarray(x))
    dtype = x.dtype.type
    ranges = _ERFINV_F32 if x.dtype == _F32 else _ERFINV_F64
    with np.errstate(all="ignore"):
        w = -log1p(x * -x)
        masks, pieces = [], []
        taken = np.zeros(x.shape, bool)
        for i, (bound, shift, coefficients) in enumerate(ranges):
            here = ~taken & (w < dtype(bound)) if i < len(ranges) - 1 else ~taken
            taken |= here
            # The first range is a polynomial in w, the others in sqrt(w) (NaN: the last).
            masks.append(here)
            pieces.append(lambda w, i=i, shift=shift, coefficients=coefficients: _horner(
                (w if i == 0 else np.sqrt(w)) - dtype(shift), coefficients))
        p = _piecewise(w, masks, pieces)
        return np.where(np.abs(x) == dtype(1), x * dtype(np.inf), p * x)


# -- erf ----------------------------------------------------------------------------------------

# Eigen's rational approximation of erf in float32: x P(x**2) / Q(x**2), clamped to +-1 beyond
# |x| = 3.8325 (the point where erf rounds to 1).
_ERF_P = (0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861,
          0.18520832239976145, 1.128379143519084)
_ERF_Q = (-1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885,
          0.014070470171167667, 0.11098505178285362, 0.49746925110067538, 1.0)


def erf(x: Any) -> np.ndarray:
    """The error function, as XLA:CPU computes it."""
    x = _flush_subnormals(np.asarray(x))
    with np.errstate(all="ignore"):
        if x.dtype == _F64:
            return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), np.float64)
        x2 = x * x
        p = x * _horner(x2, [np.float32(c) for c in _ERF_P])
        q = _horner(x2, [np.float32(c) for c in _ERF_Q])
        clamp = np.abs(x) >= np.float32(3.832506856900711)
        return np.where(clamp, np.copysign(np.float32(1), x), p / q).astype(np.float32)


# -- tan ----------------------------------------------------------------------------------------

# Sun's float tan kernel (glibc's k_tanf.c) on [-pi/4, pi/4]: tan x = x + x**3 (T0 + x**2 ...),
# near pi/4 through tan(pi/4 - x), and -1/tan when the reduction lands in an odd quadrant.
_TAN_T = [_f32(b) for b in (0x3EAAAAAB, 0x3E088889, 0x3D5D0DD1, 0x3CB327A4, 0x3C11371F,
                            0x3B6B6916, 0x3ABEDE48, 0x3A1A26C8, 0x398137B9, 0x38A3F445,
                            0x3895C07A, 0xB79BAE5F, 0x37D95384)]
_PIO4_HI, _PIO4_LO = _f32(0x3F490FDA), _f32(0x33222168)
_TWO_OVER_PI_2_24 = float.fromhex("0x1.45F306DC9C883p+23")
_PI_OVER_2 = float.fromhex("0x1.921FB54442D18p0")


def _top20(x: np.ndarray) -> np.ndarray:
    """``x`` with its 12 lowest bits cleared (a float32 with a short mantissa)."""
    return (x.view(np.int32) & np.int32(-4096)).view(np.float32)


def _tan32_kernel(x: np.ndarray, y: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """tan(x + y) for |x + y| <= pi/4, or -1/tan(x + y) where ``odd``."""
    f = np.float32
    iy = np.where(odd, f(-1), f(1))
    sign = np.where(x < 0, f(-1), f(1))
    tiny = np.abs(x) < f(2.0 ** -13)
    tiny_out = np.where(odd, np.where(x == 0, f(np.inf), f(-1) / x), x)
    big = np.abs(x) >= _f32(0x3F2CA140)  # 0.6744: use tan(pi/4 - |x|)
    xa, ya = np.where(big, np.abs(x), x), np.where(big, y * sign, y)
    x = np.where(big, (_PIO4_HI - xa) + (_PIO4_LO - ya), xa)
    y = np.where(big, f(0), ya)
    big_tiny = big & (np.abs(x) < f(2.0 ** -13))
    big_tiny_out = sign * iy * (f(1) - f(2) * iy * x)
    t = _TAN_T
    z = x * x
    w = z * z
    r = t[1] + w * (t[3] + w * (t[5] + w * (t[7] + w * (t[9] + w * t[11]))))
    v = z * (t[2] + w * (t[4] + w * (t[6] + w * (t[8] + w * (t[10] + w * t[12])))))
    s = z * x
    r = y + z * (s * (r + v) + y)
    r = r + t[0] * s
    w = x + r
    big_out = sign * (iy - f(2) * (x - (w * w / (w + iy) - r)))
    # -1/(x + r) to within an ulp: split w and its reciprocal into short high parts.
    w_hi = _top20(w)
    v = r - (w_hi - x)
    a = f(-1) / w
    a_hi = _top20(a)
    odd_out = a_hi + a * ((f(1) + a_hi * w_hi) + a_hi * v)
    out = np.where(odd, odd_out, w)
    out = np.where(big, np.where(big_tiny, big_tiny_out, big_out), out)
    return np.where(tiny, tiny_out, out)


def _tan32(x: np.ndarray) -> np.ndarray:
    small = np.abs(x) <= _PIO4_HI
    # Reduction by pi/2 in float64 (exact enough for |x| < 120, all the samplers need).
    dx = x.astype(np.float64)
    n = (np.trunc(dx * _TWO_OVER_PI_2_24).astype(np.int32) + np.int32(0x800000)) >> 24
    reduced = dx - n.astype(np.float64) * _PI_OVER_2
    hi = reduced.astype(np.float32)
    lo = (reduced - hi.astype(np.float64)).astype(np.float32)
    out = _tan32_kernel(np.where(small, x, hi), np.where(small, np.float32(0), lo),
                        ~small & ((n & 1) == 1))
    large = np.abs(x) >= np.float32(120)
    if large.any():  # glibc reduces these with more bits of pi; float64 tan is close
        out[large] = np.tan(x[large].astype(np.float64)).astype(np.float32)
    return np.where(np.isfinite(x), out, np.float32(np.nan))


def tan(x: Any) -> np.ndarray:
    """The tangent, as XLA:CPU computes it."""
    x = _flush_subnormals(np.asarray(x))
    with np.errstate(all="ignore"):
        if x.dtype == _F32:
            return _tan32(x).astype(np.float32)
        finite = np.isfinite(x)
        out = np.full(x.shape, np.nan)
        if finite.any():
            out[finite] = np.frompyfunc(math.tan, 1, 1)(x[finite]).astype(np.float64)
        return out
