# Copyright (c) mmkd contributors. All rights reserved.
"""Reading the human boundary annotations of a BSDS500 ``.mat`` ground-truth file."""
import os
from typing import List, Union

import numpy as np
import scipy.io


def load_bsds_boundaries(mat_path: Union[str, os.PathLike]) -> List[np.ndarray]:
    """The annotators' boundary maps of a BSDS500 ground-truth file (``groundTruth{k}.Boundaries``).

    Arbelaez et al., "Contour Detection and Hierarchical Image Segmentation", TPAMI 2011 (the BSDS500 data set).

    Args:
        mat_path (str | os.PathLike): a ``.mat`` file holding a ``groundTruth`` cell array of structs with a
            ``Boundaries`` field, as in ``BSDS500/data/groundTruth/<split>/<id>.mat``.

    Returns:
        list[np.ndarray]: K >= 1 bool [H, W] maps, one per annotator.

    Raises:
        ValueError: the file has no ``groundTruth`` variable, an entry lacks ``Boundaries``, there are zero
            annotators, or the annotators' maps differ in size.
    """
    try:
        content = scipy.io.loadmat(str(mat_path))
    except Exception as error:  # scipy raises several types for unreadable files
        raise ValueError(f'Cannot read the BSDS ground truth {mat_path}: {error}') from error
    if 'groundTruth' not in content:
        raise ValueError(f'{mat_path} has no "groundTruth" variable (variables: '
                         f'{sorted(k for k in content if not k.startswith("__"))}); is it a BSDS500 ground-truth file?')
    cells = np.asarray(content['groundTruth']).reshape(-1)
    boundaries = []
    for k, cell in enumerate(cells):
        names = cell.dtype.names or ()
        if 'Boundaries' not in names:
            raise ValueError(f'{mat_path}: groundTruth{{{k + 1}}} has no "Boundaries" field (fields: {names}).')
        boundaries.append(np.asarray(cell['Boundaries'].reshape(-1)[0]) != 0)
    if not boundaries:
        raise ValueError(f'{mat_path} has zero annotators (an empty groundTruth cell): it cannot be evaluated.')
    shapes = {b.shape for b in boundaries}
    if len(shapes) != 1:
        raise ValueError(f'{mat_path}: the annotators\' boundary maps differ in size: {sorted(shapes)}.')
    return boundaries
