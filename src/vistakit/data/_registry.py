"""The registry of dataset cards.

Every fact about a data set that a reader, a test or the CLI needs (classes in
the official order, split sizes, files, URLs, checksums, licence) is written
once here.
"""

from __future__ import annotations

import difflib
import importlib.util
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ._info import DataFile, DatasetInfo


@lru_cache(maxsize=None)
def _package_lines(filename: str) -> tuple[str, ...]:
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k (ILSVRC-2012) class names in the official label order.

    Index ``i`` is the class of the ``i``-th WordNet id in sorted order (the order
    of :func:`imagenet_wnids`), which is the order every ImageNet classifier uses.
    """
    return list(_package_lines("imagenet_classes.txt"))


def imagenet_wnids() -> list[str]:
    """The 1000 ImageNet-1k WordNet ids (``n01440764`` ...), sorted: label ``i`` is ``wnids[i]``."""
    return list(_package_lines("imagenet_wnids.txt"))


def _sklearn_data_dir() -> str | None:
    """Where scikit-learn keeps the files it ships, found without importing it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).parent / "datasets" / "data")


def _idx_files(bases: tuple[str, ...], names_md5_size: tuple[tuple[str, str, int, str], ...]) -> tuple[DataFile, ...]:
    return tuple(
        DataFile(name, urls=tuple(b + name for b in bases), size=size, md5=md5, splits=(split,))
        for name, md5, size, split in names_md5_size
    )


_MNIST_LIKE_NOTE = (
    "Four IDX files (big-endian header, then raw uint8 pixels), gzip-compressed as "
    "published; the decompressed files are accepted as well."
)

MNIST = DatasetInfo(
    name="mnist",
    title="MNIST handwritten digits",
    task="classification",
    classes=tuple(str(i) for i in range(10)),
    splits={"train": 60_000, "test": 10_000},
    image_size=(28, 28),
    channels=1,
    license="CC BY-SA 3.0 (as stated by the data set's maintainers)",
    homepage="http://yann.lecun.com/exdb/mnist/",
    citation=(
        "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE, 86(11):2278-2324, 1998."
    ),
    files=_idx_files(
        (
            "http://yann.lecun.com/exdb/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        (
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422, "train"),
            ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881, "train"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877, "test"),
            ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542, "test"),
        ),
    ),
    description="70,000 grey 28x28 images of handwritten digits 0-9. " + _MNIST_LIKE_NOTE,
)

FASHION_MNIST = DatasetInfo(
    name="fashion-mnist",
    title="Fashion-MNIST (Zalando article images)",
    task="classification",
    classes=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    splits={"train": 60_000, "test": 10_000},
    image_size=(28, 28),
    channels=1,
    license="MIT",
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    citation=(
        "H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
        "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017."
    ),
    files=_idx_files(
        (
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        (
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880, "train"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29_515, "train"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102, "test"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5_148, "test"),
        ),
    ),
    description=(
        "70,000 grey 28x28 images of clothing in 10 classes, a drop-in replacement for MNIST. "
        + _MNIST_LIKE_NOTE
        + " Debian's package dataset-fashion-mnist installs them under "
        "/usr/share/datasets/fashion-mnist/ (recompressed without the gzip file name, so "
        "the .gz bytes differ from the published md5 while the data are the same)."
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)

_CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

CIFAR10 = DatasetInfo(
    name="cifar10",
    title="CIFAR-10",
    task="classification",
    classes=_CIFAR10_CLASSES,
    splits={"train": 50_000, "test": 10_000},
    image_size=(32, 32),
    channels=3,
    license="no licence stated; free for research, cite the technical report",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    citation="A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical report, University of Toronto, 2009.",
    files=(
        DataFile(
            "cifar-10-python.tar.gz",
            urls=("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
            size=170_498_071,
            md5="c58f30108f718f92721af3b95e74349a",
            extracted="cifar-10-batches-py",
        ),
    ),
    description=(
        "60,000 colour 32x32 images in 10 classes. The python version: five training "
        "batches and one test batch, each a pickled dict with a (10000, 3072) uint8 'data' "
        "array (R, G, B planes) and a list of 'labels'; batches.meta names the classes."
    ),
)

_CIFAR100_FINE = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
    "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
    "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
    "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
    "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)
_CIFAR100_COARSE = (
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
)

CIFAR100 = DatasetInfo(
    name="cifar100",
    title="CIFAR-100",
    task="classification",
    classes=_CIFAR100_FINE,
    splits={"train": 50_000, "test": 10_000},
    image_size=(32, 32),
    channels=3,
    license="no licence stated; free for research, cite the technical report",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    citation=CIFAR10.citation,
    files=(
        DataFile(
            "cifar-100-python.tar.gz",
            urls=("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
            size=169_001_437,
            md5="eb9058c3a382ffc7106e4002c42a8d85",
            extracted="cifar-100-python",
        ),
    ),
    description=(
        "60,000 colour 32x32 images in 100 fine classes grouped into 20 coarse ones. Pickled "
        "'train' and 'test' dicts with 'data', 'fine_labels' and 'coarse_labels'; 'meta' names both."
    ),
    other_labels={"coarse": _CIFAR100_COARSE},
)

IMAGEFOLDER = DatasetInfo(
    name="imagefolder",
    title="Any ImageNet-style folder of images",
    task="classification",
    classes=(),
    description=(
        "root/<class>/<image> trees, optionally one per split (root/train/<class>/..., "
        "root/val/<class>/...). Classes are the sorted folder names. Pass root=."
    ),
)

IMAGENET = DatasetInfo(
    name="imagenet",
    title="ImageNet-1k (ILSVRC-2012 classification)",
    task="classification",
    classes=_package_lines("imagenet_classes.txt"),
    splits={"train": 1_281_167, "val": 50_000},
    image_size=None,
    channels=3,
    license="ImageNet terms of access: non-commercial research and education only",
    homepage="https://image-net.org/challenges/LSVRC/2012/",
    citation=(
        "O. Russakovsky et al. ImageNet Large Scale Visual Recognition Challenge. "
        "International Journal of Computer Vision, 115(3):211-252, 2015."
    ),
    files=(
        DataFile("ILSVRC2012_img_train.tar", size=147_897_477_120,
                 md5="1d675b47d978889d74fa0da5fadfb00e", extracted="train", splits=("train",)),
        DataFile("ILSVRC2012_img_val.tar", size=6_744_924_160,
                 md5="29b22e2961454d5413ddabcf34fc5622", extracted="val", splits=("val",)),
        DataFile("ILSVRC2012_devkit_t12.tar.gz", md5="fa75699e90414af021442c21a62c3abf",
                 extracted="ILSVRC2012_devkit_t12", splits=("val",)),
    ),
    description=(
        "1.28 million training and 50,000 validation images of 1000 classes. Reads the "
        "extracted train tree (train/<wnid>/*.JPEG) and the validation images either as "
        "val/<wnid>/*.JPEG or flat (val/ILSVRC2012_val_00000001.JPEG ...) with the devkit's "
        "ILSVRC2012_validation_ground_truth.txt and meta.mat."
    ),
    manual_download=(
        "ImageNet needs an account: download ILSVRC2012_img_train.tar, ILSVRC2012_img_val.tar "
        "and ILSVRC2012_devkit_t12.tar.gz from https://image-net.org/download-images.php, then "
        "extract them into the data folder: `mkdir train && tar -xf ILSVRC2012_img_train.tar -C train "
        "&& for f in train/*.tar; do d=${f%.tar}; mkdir -p $d && tar -xf $f -C $d && rm $f; done`, "
        "`mkdir val && tar -xf ILSVRC2012_img_val.tar -C val`; the devkit archive is unpacked automatically."
    ),
)

FLOWERS102 = DatasetInfo(
    name="flowers102",
    title="Oxford 102 Flowers",
    task="classification",
    classes=_package_lines("flowers102_classes.txt"),
    splits={"train": 1_020, "val": 1_020, "test": 6_149},
    image_size=None,
    channels=3,
    license="no licence stated; free for research, cite the paper",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    citation=(
        "M.-E. Nilsback and A. Zisserman. Automated flower classification over a large number "
        "of classes. Indian Conference on Computer Vision, Graphics and Image Processing, 2008."
    ),
    files=(
        DataFile(
            "102flowers.tgz",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/102flowers.tgz",
            ),
            size=344_862_509,
            md5="52808999861908f626f3c1f4e79d11fa",
            extracted="jpg",
        ),
        DataFile(
            "imagelabels.mat",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/imagelabels.mat",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/imagelabels.mat",
            ),
            md5="e0620be6f572b9609742df49c70aed4d",
        ),
        DataFile(
            "setid.mat",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/setid.mat",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/setid.mat",
            ),
            md5="a5357ecc9cb78c4bef273ce3793fc85c",
        ),
    ),
    description=(
        "8,189 flower photographs of 102 species: jpg/image_%05d.jpg, the labels (1..102) in "
        "imagelabels.mat and the official train/val/test image ids (trnid, valid, tstid) in "
        "setid.mat. Class names follow the order of the labels."
    ),
)

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
    "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
    "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
    "Wearing_Necktie", "Young",
)


def _gdrive(file_id: str) -> tuple[str, ...]:
    return (f"https://drive.google.com/uc?export=download&id={file_id}",)


CELEBA = DatasetInfo(
    name="celeba",
    title="CelebA (CelebFaces Attributes, aligned and cropped)",
    task="attributes",
    classes=CELEBA_ATTRIBUTES,
    splits={"train": 162_770, "val": 19_867, "test": 19_962, "all": 202_599},
    image_size=(218, 178),
    channels=3,
    license="non-commercial research and educational use only (CelebA agreement)",
    homepage="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    citation=(
        "Z. Liu, P. Luo, X. Wang and X. Tang. Deep Learning Face Attributes in the Wild. "
        "International Conference on Computer Vision (ICCV), 2015."
    ),
    files=(
        DataFile("img_align_celeba.zip", urls=_gdrive("0B7EVK8r0v71pZjFTYXZWM3FlRnM"),
                 md5="00d2c5bc6d35e252742224ab0c1e8fcb", extracted="img_align_celeba"),
        DataFile("list_attr_celeba.txt", urls=_gdrive("0B7EVK8r0v71pblRyaVFSWGxPY0U"),
                 md5="75e246fa4810816ffd6ee81facbd244c"),
        DataFile("identity_CelebA.txt", urls=_gdrive("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS"),
                 md5="32bd1bd63d3c78cd57e08160ec5ed1e2"),
        DataFile("list_bbox_celeba.txt", urls=_gdrive("0B7EVK8r0v71pbThiMVRxWXZ4dU0"),
                 md5="00566efa6fedff7a56946cd1c10f1c16"),
        DataFile("list_landmarks_align_celeba.txt", urls=_gdrive("0B7EVK8r0v71pd0FJY3Blby1HUTQ"),
                 md5="cc24ecafdb5b50baae59b03474781f8c"),
        DataFile("list_eval_partition.txt", urls=_gdrive("0B7EVK8r0v71pY0NSMzRuSXJEVkk"),
                 md5="d32c9cbf5e040fd4025c592c306e6668"),
    ),
    description=(
        "202,599 aligned and cropped 178x218 face images of 10,177 identities with 40 binary "
        "attributes (list_attr_celeba.txt, -1/1), identities, boxes (of the uncropped images), "
        "5 aligned landmarks and the official train/val/test partition."
    ),
    manual_download=(
        "CelebA is published on Google Drive, which refuses scripted downloads of the 1.4 GB "
        "img_align_celeba.zip: fetch it from the homepage's 'Align&Cropped Images' link "
        "and put it (or the extracted img_align_celeba/ folder) in the data folder."
    ),
)

DIGITS = DatasetInfo(
    name="digits",
    title="Optical recognition of handwritten digits (8x8, as shipped by scikit-learn)",
    task="classification",
    classes=tuple(str(i) for i in range(10)),
    splits={"train": 1_500, "test": 297, "all": 1_797},
    image_size=(8, 8),
    channels=1,
    license="CC BY 4.0 (UCI Machine Learning Repository)",
    homepage="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
    citation=(
        "E. Alpaydin and C. Kaynak. Optical Recognition of Handwritten Digits. UCI Machine "
        "Learning Repository, 1998."
    ),
    files=(
        DataFile(
            "digits.csv.gz",
            urls=("https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/digits.csv.gz",),
            size=57_523,
            md5="9b335364a7bfd63947c7480a5bd51f2d",
        ),
    ),
    description=(
        "1,797 grey 8x8 digits (the UCI optdigits test set) read from the digits.csv.gz that "
        "scikit-learn installs, so it is there without any download. Each row holds 64 pixel "
        "counts 0..16 and the label; vistakit scales them to uint8 0..255 (round(v * 255 / 16)). "
        "Splits: 'train' is the first 1,500 rows, 'test' the remaining 297, 'all' every row."
    ),
    system_dirs=tuple(d for d in (_sklearn_data_dir(),) if d),
)

_CARDS: dict[str, DatasetInfo] = {
    card.name: card
    for card in (MNIST, FASHION_MNIST, CIFAR10, CIFAR100, IMAGEFOLDER, IMAGENET, FLOWERS102, CELEBA, DIGITS)
}


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def list_datasets() -> list[str]:
    """Names of every registered data set, in registry order."""
    return list(_CARDS)


def dataset_info(name: str) -> DatasetInfo:
    """The card of data set ``name``.

    Args:
        name: registry name; case and ``_``/``-`` do not matter (``Fashion_MNIST``).

    Raises:
        ValueError: for an unknown name (the close matches are suggested).
    """
    key = _canonical(name)
    if key in _CARDS:
        return _CARDS[key]
    squeezed = {k.replace("-", ""): k for k in _CARDS}
    if key.replace("-", "") in squeezed:
        return _CARDS[squeezed[key.replace("-", "")]]
    close = difflib.get_close_matches(key, list(_CARDS), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown dataset {name!r}{hint} Known datasets: {', '.join(_CARDS)}")
