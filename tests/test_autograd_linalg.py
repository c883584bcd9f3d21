"""autograd's tests/test_linalg.py and tests/test_fft.py, ported to functrace.numpy.linalg and
functrace.numpy.fft.

autograd checks these in reverse mode only ("fwd mode not yet implemented" there); functrace
has both, so each row is checked in both modes, to second order as autograd's default, except
where a row says otherwise.  Eigenvectors and singular vectors of complex matrices are only
defined up to a phase, so (as autograd) their moduli are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from autograd_port import check

import functrace.numpy as fnp

rng = np.random.default_rng(42)
LA = fnp.linalg


def R(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def C(*shape: int) -> np.ndarray:
    return R(*shape) + 1j * R(*shape)


def T(A: Any) -> Any:
    return fnp.swapaxes(A, -1, -2)


def symmetrized(fun: Callable[..., Any]) -> Callable[..., Any]:
    """``fun`` of the symmetric matrix made of its argument's lower triangle (autograd's
    ``check_symmetric_matrix_grads``): central differences then stay on symmetric matrices."""
    def sym_fun(A: Any, *rest: Any) -> Any:
        L = fnp.tril(A)
        return fun((L + T(L)) / 2.0, *rest)

    return sym_fun


def rand_psd(D: int) -> np.ndarray:
    mat = R(D, D)
    return mat @ mat.T


def _svd(x: Any) -> Any:
    return tuple(LA.svd(x, full_matrices=False))


def _svd_abs(x: Any) -> Any:
    u, s, v = LA.svd(x, full_matrices=False)
    return fnp.abs(u), s, fnp.abs(v)


def _eigh(x: Any, uplo: str = "L") -> Any:
    return tuple(LA.eigh(x, uplo))


def _eigh_abs(x: Any, uplo: str = "L") -> Any:
    w, v = LA.eigh(x, uplo)
    return w, fnp.abs(v)


def _dot_t(a: np.ndarray) -> np.ndarray:
    return np.einsum("...ij,...kj->...ik", a, a)


_B8 = R(8, 7)
_B8_1d = R(8)
_A6 = R(6, 6) + np.eye(6)
_B5 = R(5, 4)
_B5_3d = R(5, 4, 6)

REV = ("rev",)

# (name, function, args, modes, order)
LINALG: list[tuple[str, Callable[..., Any], tuple[Any, ...], tuple[str, ...], int]] = [
    ("inv", LA.inv, ((lambda m: m @ m + np.eye(8))(R(8, 8)),), ("fwd", "rev"), 2),
    ("inv_3d", LA.inv, (R(4, 4, 4) + 5 * np.eye(4),), ("fwd", "rev"), 2),
    ("inv_4d", LA.inv, (R(4, 4, 4, 4) + 5 * np.eye(4),), ("fwd", "rev"), 2),
    *[(f"pinv_{shape}", LA.pinv, (R(*shape),), ("fwd", "rev"), 2)
      for M in range(2, 8) for shape in ((5, M), (2, 5, M))],
    # square matrices of fixed rank M < 5 (pinv is smooth along matrices of that rank)
    *[(f"pinv_low_rank_{shape}", lambda x: LA.pinv(T(x) @ x), (R(*shape),), ("fwd", "rev"), 2)
      for M in range(2, 8) for shape in ((5, M), (2, 5, M))],
    ("solve_arg1", lambda a: LA.solve(a, _B8), (R(8, 8) + 10 * np.eye(8),), ("fwd", "rev"), 2),
    ("solve_arg1_1d", lambda a: LA.solve(a, _B8_1d), (R(8, 8) + 10 * np.eye(8),),
     ("fwd", "rev"), 2),
    ("solve_arg2", lambda b: LA.solve(_A6, b), (R(6, 5),), ("fwd", "rev"), 2),
    # (NumPy 2 reads a batched 2-d b as a stack of matrices: b gets its trailing axis)
    ("solve_arg1_3d", lambda a: LA.solve(a, _B5[..., None])[..., 0],
     (R(5, 4, 4) + 5 * np.eye(4),), ("fwd", "rev"), 2),
    ("solve_arg1_3d_3d", lambda a: LA.solve(a, _B5_3d), (R(5, 4, 4) + 5 * np.eye(4),),
     ("fwd", "rev"), 2),
    ("det", LA.det, (R(6, 6),), ("fwd", "rev"), 2),
    ("det_3d", LA.det, (R(3, 3, 3),), ("fwd", "rev"), 2),
    ("slogdet", lambda x: LA.slogdet(x)[1], (R(6, 6),), ("fwd", "rev"), 2),
    ("slogdet_neg", lambda x: LA.slogdet(-x)[1], (R(6, 6),), ("fwd", "rev"), 2),
    ("slogdet_3d", lambda x: fnp.sum(LA.slogdet(x)[1]),
     (np.stack([rand_psd(5) + 5 * np.eye(5) for _ in range(3)]),), ("fwd", "rev"), 2),
    ("vector_2norm", LA.norm, (R(6),), ("fwd", "rev"), 2),
    ("vector_2norm_complex", LA.norm, (C(6),), ("fwd", "rev"), 2),
    ("frobenius_norm", LA.norm, (R(6, 5),), ("fwd", "rev"), 2),
    ("frobenius_norm_complex", LA.norm, (C(6, 5),), ("fwd", "rev"), 2),
    ("frobenius_norm_axis", lambda x: LA.norm(x, axis=(0, 1)), (R(6, 5, 4),), ("fwd", "rev"), 2),
    ("frobenius_norm_axis_complex", lambda x: LA.norm(x, axis=(0, 1)), (C(6, 5, 4),),
     ("fwd", "rev"), 2),
    *[(f"vector_norm_ord_{o}{'_complex' if c else ''}",
       lambda x, o=o: LA.norm(x, ord=o), ((C(6) if c else R(6)),), ("fwd", "rev"), 2)
      for o in range(2, 5) for c in (False, True)],
    *[(f"norm_axis_{a}{'_complex' if c else ''}",
       lambda x, a=a: LA.norm(x, axis=a), ((C(6, 5, 4) if c else R(6, 5, 4)),), ("fwd", "rev"), 2)
      for a in range(3) for c in (False, True)],
    # (autograd: order 1, its svd has no jvp; here both orders hold)
    ("norm_nuclear", lambda x: LA.norm(x, ord="nuc"), (R(6, 5),), ("fwd", "rev"), 2),
    ("norm_nuclear_complex", lambda x: LA.norm(x, ord="nuc"), (C(6, 5),), ("fwd", "rev"), 2),
    ("norm_nuclear_axis", lambda x: LA.norm(x, ord="nuc", axis=(0, 1)), (R(6, 5, 4),),
     ("fwd", "rev"), 2),
    ("norm_nuclear_axis_complex", lambda x: LA.norm(x, ord="nuc", axis=(0, 1)), (C(6, 5, 4),),
     ("fwd", "rev"), 2),
    # eigh reads one triangle, as NumPy's (JAX's averages the two): its derivative at a
    # non-symmetric matrix is that of the symmetric matrix made of that triangle
    ("eigh_lower", _eigh, (R(6, 6),), ("fwd", "rev"), 2),
    ("eigh_upper", lambda x: _eigh(x, "U"), (R(6, 6),), ("fwd", "rev"), 2),
    ("eigh_lower_broadcasting", _eigh, (_dot_t(R(2, 3, 6, 6) + 10 * np.eye(6)),),
     ("fwd", "rev"), 2),
    ("eigh_upper_broadcasting", lambda x: _eigh(x, "U"),
     (_dot_t(R(2, 3, 6, 6) + 10 * np.eye(6)),), ("fwd", "rev"), 2),
    ("eigh_lower_complex", _eigh_abs, (C(6, 6),), ("fwd", "rev"), 2),
    ("eigh_upper_complex", lambda x: _eigh_abs(x, "U"), (C(6, 6),), ("fwd", "rev"), 2),
    ("eig_real", lambda x: tuple(fnp.abs(t) for t in LA.eig(x)), (R(8, 8),), ("fwd", "rev"), 2),
    ("eig_complex", lambda x: (lambda w, v: (w, fnp.abs(v)))(*LA.eig(x)), (C(8, 8),),
     ("fwd", "rev"), 2),
    ("eig_batched", lambda x: (lambda w, v: (w, fnp.abs(v)))(*LA.eig(x)), (C(5, 8, 8),),
     ("fwd", "rev"), 2),
    ("cholesky", symmetrized(LA.cholesky), (rand_psd(6),), ("fwd", "rev"), 2),
    ("cholesky_broadcast", symmetrized(LA.cholesky),
     (np.stack([rand_psd(6) for _ in range(3)]),), ("fwd", "rev"), 2),
    ("cholesky_reparameterization_trick",
     symmetrized(lambda A: LA.norm(LA.cholesky(A) @ np.random.default_rng(0).standard_normal(6))),
     (rand_psd(6),), ("fwd", "rev"), 2),
    *[(f"svd_{name}_{len(shape)}d", _svd, (R(*shape),), ("fwd", "rev"), 2)
      for name, shapes in (("wide", ((3, 5), (4, 3, 5))), ("square", ((4, 4), (3, 4, 4))),
                           ("tall", ((5, 3), (4, 5, 3))))
      for shape in shapes],
    *[(f"svd_{name}_{len(shape)}d_complex", _svd_abs, (C(*shape),), ("fwd", "rev"), 2)
      for name, shapes in (("wide", ((3, 5), (4, 3, 5))), ("square", ((4, 4), (3, 4, 4))),
                           ("tall", ((5, 3), (4, 5, 3))))
      for shape in shapes],
    ("svd_only_s_2d", lambda x: LA.svd(x, full_matrices=False, compute_uv=False), (R(5, 3),),
     ("fwd", "rev"), 2),
    ("svd_only_s_2d_complex", lambda x: LA.svd(x, full_matrices=False, compute_uv=False),
     (C(5, 3),), ("fwd", "rev"), 2),
    ("svd_only_s_3d", lambda x: LA.svd(x, full_matrices=False, compute_uv=False),
     (R(4, 5, 3),), ("fwd", "rev"), 2),
    ("svd_only_s_3d_complex", lambda x: LA.svd(x, full_matrices=False, compute_uv=False),
     (C(4, 5, 3),), ("fwd", "rev"), 2),
]


@pytest.mark.parametrize("fun, args, modes, order",
                         [pytest.param(f, a, m, o, id=n) for n, f, a, m, o in LINALG])
def test_linalg(fun: Callable[..., Any], args: tuple[Any, ...], modes: tuple[str, ...],
                order: int) -> None:
    check(fun, *args, modes=modes, order=order)


def test_norm_of_a_list_of_traced_scalars() -> None:
    import functrace as ft

    # d/dx sqrt(x**2 + (x + 2)**2) at x = 0 is 2 / sqrt(4) = 1
    assert ft.grad(lambda x: LA.norm([x, x + 2]))(0.0) == 1.0
    assert ft.grad(lambda x: LA.norm((x, x + 2)))(0.0) == 1.0


# -- test_fft.py ---------------------------------------------------------------------------------

FFT = fnp.fft


def _hermitian(fft_fun: Callable[..., Any], mat: np.ndarray) -> Any:
    """An inverse real transform's input: the forward transform of a real array, as autograd."""
    name = fft_fun.__name__
    return getattr(np.fft, name[1:])(mat) if name.startswith("ir") else mat


def _fft_n(fft_fun: Callable[..., Any], D: int, n: int) -> tuple[Any, ...]:
    return (lambda x: fft_fun(x, D + n)), (_hermitian(fft_fun, R(D, D)),)


def _fft_s(fft_fun: Callable[..., Any], D: int) -> tuple[Any, ...]:
    s, axes = [D + 2, D - 2], [0, 2]
    return (lambda x: fft_fun(x, s=s, axes=axes)), (_hermitian(fft_fun, R(D, D, D) / 10.0),)


def _plain(fun: Callable[..., Any], mat: np.ndarray) -> tuple[Any, ...]:
    return fun, (mat,)


FFT_ROWS: list[tuple[str, tuple[Any, ...]]] = [
    ("fft", _plain(FFT.fft, R(5, 5))),
    ("fft_ortho", _plain(lambda x: FFT.fft(x, norm="ortho"), R(5, 5))),
    ("fft_axis", _plain(lambda x: FFT.fft(x, axis=0), R(5, 5))),
    *[(f"{f.__name__}_n_{'smaller' if n < 0 else 'bigger'}", _fft_n(f, D, n))
      for f, D in ((FFT.fft, 5), (FFT.ifft, 5), (FFT.rfft, 4), (FFT.irfft, 4)) for n in (-2, 2)],
    *[(f"{f.__name__}_s", _fft_s(f, D))
      for f, D in ((FFT.fft2, 5), (FFT.ifft2, 5), (FFT.fftn, 5), (FFT.ifftn, 5),
                   (FFT.rfft2, 4), (FFT.irfft2, 4), (FFT.rfftn, 4), (FFT.irfftn, 4))],
    ("ifft", _plain(FFT.ifft, R(5, 5))),
    ("fft2", _plain(FFT.fft2, R(5, 5) / 10.0)),
    ("ifft2", _plain(FFT.ifft2, R(5, 5))),
    ("fftn", _plain(FFT.fftn, R(5, 5) / 10.0)),
    ("ifftn", _plain(FFT.ifftn, R(5, 5))),
    ("rfft", _plain(FFT.rfft, R(4, 4) / 10.0)),
    ("rfft_ortho", _plain(lambda x: FFT.rfft(x, norm="ortho"), R(4, 4) / 10.0)),
    ("rfft_axes", _plain(lambda x: FFT.rfft(x, axis=0), R(4, 4) / 10.0)),
    ("irfft", _plain(FFT.irfft, np.fft.rfft(R(4, 4) / 10.0))),
    ("irfft_ortho", _plain(lambda x: FFT.irfft(x, norm="ortho"), np.fft.rfft(R(4, 4) / 10.0))),
    ("rfft2", _plain(FFT.rfft2, R(4, 4) / 10.0)),
    ("irfft2", _plain(FFT.irfft2, np.fft.rfft2(R(4, 4) / 10.0))),
    ("rfftn", _plain(FFT.rfftn, R(4, 4, 4) / 10.0)),
    # autograd raises NotImplementedError for odd last axes; functrace differentiates them
    ("rfftn_odd", _plain(FFT.rfftn, R(5, 5, 5) / 10.0)),
    ("rfftn_subset", _plain(lambda x: FFT.rfftn(x)[(0, 1, 0), (3, 3, 2)], R(4, 4, 4) / 10.0)),
    ("rfftn_axes", _plain(lambda x: FFT.rfftn(x, axes=(0, 2)), R(4, 4, 4) / 10.0)),
    ("irfftn", _plain(FFT.irfftn, np.fft.rfftn(R(4, 4, 4) / 10.0))),
    ("irfftn_subset", _plain(lambda x: FFT.irfftn(x)[(0, 1, 0), (3, 3, 2)],
                             np.fft.rfftn(R(4, 4, 4) / 10.0))),
    ("fftshift", _plain(FFT.fftshift, R(5, 5) / 10.0)),
    ("fftshift_even", _plain(FFT.fftshift, R(4, 4) / 10.0)),
    ("fftshift_axes", _plain(lambda x: FFT.fftshift(x, axes=1), R(5, 5) / 10.0)),
    ("ifftshift", _plain(FFT.ifftshift, R(5, 5))),
    ("ifftshift_even", _plain(FFT.ifftshift, R(4, 4))),
    ("ifftshift_axes", _plain(lambda x: FFT.ifftshift(x, axes=1), R(5, 5))),
]


@pytest.mark.parametrize("fun, args", [pytest.param(*row, id=n) for n, row in FFT_ROWS])
def test_fft(fun: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check(fun, *args)
