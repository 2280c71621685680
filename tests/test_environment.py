import torch


def test_cpu_build_of_pinned_torch():
    """The pinned CPU build is installed, not a multi-gigabyte CUDA wheel."""
    assert torch.__version__.split("+")[0] == "2.13.0"
    assert torch.version.cuda is None
