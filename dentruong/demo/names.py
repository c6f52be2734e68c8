"""Plausible Vietnamese names for demo data, by ethnic group, and village names of a
mountain commune like Bát Xát (Lào Cai).

Names follow the họ + đệm + tên pattern as it is written on birth certificates of each
group: Mông boys take the middle name "A" (sometimes "Seo"), Dao and Hà Nhì use clan
or generation middle names, most others "Văn"/"Thị". Every string is NFC (checked at
import time) so it can go to the database without cleaning.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from dentruong.people.ethnicity import ETHNICITY_NAMES


@dataclass(frozen=True)
class NamePool:
    """Names of one ethnic group. Lists are sampled uniformly; repeat an entry to weight it."""

    group: str  # as people call it, e.g. "Xá Phó"
    code: str  # official ethnicity code (Xá Phó is counted with Phù Lá)
    families: tuple[str, ...]
    male_middles: tuple[str, ...]
    female_middles: tuple[str, ...]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]

    def family(self, rng: random.Random) -> str:
        return rng.choice(self.families)

    def middle(self, rng: random.Random, gender: str) -> str:
        return rng.choice(self.male_middles if gender == "M" else self.female_middles)

    def given(self, rng: random.Random, gender: str) -> str:
        return rng.choice(self.male_given if gender == "M" else self.female_given)

    def full_name(self, rng: random.Random, gender: str, family: str | None = None) -> str:
        return f"{family or self.family(rng)} {self.middle(rng, gender)} {self.given(rng, gender)}"


def _t(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KINH = NamePool(
    group="Kinh",
    code="01",
    families=_t(
        "Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Trần Trần Trần Lê Lê Lê Phạm Phạm "
        "Hoàng Hoàng Vũ Vũ Đặng Bùi Đỗ Hồ Ngô Dương Lý Phan Đinh Trịnh Đào Mai Lương Tạ"
    ),
    male_middles=_t("Văn Văn Văn Đức Đức Minh Minh Quang Hữu Xuân Thành Công Tiến Gia Anh Trung"),
    female_middles=_t("Thị Thị Thị Thị Ngọc Thu Thanh Phương Khánh Minh Bảo Hồng Kim Mai"),
    male_given=_t(
        "An Bình Cường Dũng Đạt Đức Giang Hải Hiếu Hoàng Huy Hùng Khang Khoa Kiên Lâm Long "
        "Minh Nam Nghĩa Phúc Quân Sơn Tài Thắng Thành Tiến Toàn Trung Tuấn Việt Vinh Đăng "
        "Khôi Phong Duy Hưng Bảo Quang Đông Lộc"
    ),
    female_given=_t(
        "Anh Ánh Chi Diệp Dung Giang Hà Hạnh Hằng Hiền Hoa Huyền Hương Lan Linh Loan Ly "
        "Mai My Ngân Ngọc Nhi Nhung Oanh Phương Quỳnh Thảo Thư Trang Trâm Uyên Vân Vy Yến "
        "Hân Thùy Tuyết Ngoan Đào Duyên"
    ),
)

MONG = NamePool(
    group="Mông",
    code="08",
    families=_t(
        "Sùng Sùng Giàng Giàng Giàng Vàng Vàng Lù Hầu Thào Thào Lò Ly Mùa Tráng Vừ Hạng Lầu"
    ),
    male_middles=_t("A A A A A Seo"),
    female_middles=_t("Thị Thị Thị Thị Seo"),
    male_given=_t(
        "Páo Chứ Sử Chở Súa Lềnh Tủa Cở Sình Lử Pó Chúng Thề Giống Dính Dế Phổng Sang "
        "Ký Lồng Chớ Sềnh Hờ Chản Vảng Nhà Dũng"
    ),
    female_given=_t(
        "Mỷ Dợ Chở Súa Pủa Sua Mai Dung Lìa Chía Vá Xúa Cáy Pàng Mẩy Say Sinh Dế Ninh Dua"
    ),
)

DAO = NamePool(
    group="Dao",
    code="09",
    families=_t("Tẩn Tẩn Tẩn Chảo Chảo Phàn Phàn Lý Đặng Bàn Triệu"),
    male_middles=_t("Láo Sử Tả Phù Vần Kiều Lở Quẩy Văn Văn"),
    female_middles=_t("Thị Thị Thị Lở Sử Mẩy"),
    male_given=_t(
        "Chàn Kiềm Lở Quẩy Phẩu Sành Tòn Tá Vàng Chiêu Chòi Chạn Dùn Hin Mềnh Phin Siểu "
        "Quyên Kin Sơn"
    ),
    female_given=_t("Mẩy Sói Muội Nái Xuân Mai Chài Phấy Dìn Lìu Mùi Xiêm Nhì Sành"),
)

TAY = NamePool(
    group="Tày",
    code="02",
    families=_t("Hoàng Hoàng Nông Nông Hà Lương Ma Hứa Đàm Lục Bế Triệu"),
    male_middles=_t("Văn Văn Văn Đức Thanh Quốc"),
    female_middles=_t("Thị Thị Thị Thanh Hồng"),
    male_given=_t(
        "Quyết Thuận Chiến Vượng Hòa Dũng Hùng Tuấn Sơn Thắng Lâm Tâm Phúc Thái Kiên Hậu"
    ),
    female_given=_t("Nhàn Lụa Thơm Nụ Lành Thắm Hoa Hương Mai Thảo Huệ Liên Duyên Hồng"),
)

THAI = NamePool(
    group="Thái",
    code="03",
    families=_t("Lò Lò Lò Lường Cầm Quàng Tòng Vì Điêu Hà Lừ Mè"),
    male_middles=_t("Văn Văn Văn Văn"),
    female_middles=_t("Thị Thị Thị Thị"),
    male_given=_t("Ín Pánh Hặc Bun Chung Duẩn Hom Hưởng Khay Panh Sơn Tiến Xuân Ứng Inh"),
    female_given=_t("Bua Ún Xuân Thoa Ngà Lả Hom Sao Nhạn Piệng Ánh Pọm Ển Văn"),
)

GIAY = NamePool(
    group="Giáy",
    code="25",
    families=_t("Lù Lù Vàng Vàng Hoàng Lò Sần Lồ Vương Lục Nông Sìn"),
    male_middles=_t("Văn Văn Văn Seo Thanh"),
    female_middles=_t("Thị Thị Thị Thị"),
    male_given=_t("Sáng Sinh Chính Khánh Thào Quý Tài Pao Lập Sơn Thuận Thịnh Dìn Hoan"),
    female_given=_t("Thu Tâm Sao Dung Lành Nhung Hoa Liên Mây Thơm Thảo Chiêm"),
)

HA_NHI = NamePool(
    group="Hà Nhì",
    code="35",
    families=_t("Chu Chu Ly Ly Pờ Phu Sừ Lỳ Mù Hù"),
    male_middles=_t("Giá Mó Xe Lò Cà Phì A"),
    female_middles=_t("Thị Thị Mé Xá"),
    male_given=_t("Lù Xá Sinh Chừ Pha Chà Phì Gia Hờ Giá Chư Hừ"),
    female_given=_t("Mé Ma Xó Lé Pé Gió Dế Chừ Chà Xá Mơ"),
)

PHU_LA = NamePool(
    group="Phù Lá",
    code="40",
    families=_t("Vàng Sần Ly Lù Pờ Cháng Lồ"),
    male_middles=_t("Văn Văn Seo"),
    female_middles=_t("Thị Thị"),
    male_given=_t("Sử Chía Lử Tòng Sài Cù Páo Lìn Chu Xá"),
    female_given=_t("Mỷ Chía Sao Lìn Chu Dua Mai Sinh"),
)

XA_PHO = NamePool(
    group="Xá Phó",
    code="40",  # counted with Phù Lá in the official list of 54 groups
    families=_t("Sần Sì Vàng Lồ Lù Tẩn"),
    male_middles=_t("Văn Văn"),
    female_middles=_t("Thị Thị"),
    male_given=_t("Tòng Sài Cù Pú Chìu Lìn Sơn Phà"),
    female_given=_t("Pú Mai Sao Lìn Chìu Dìn"),
)

POOLS: dict[str, NamePool] = {
    p.group: p for p in (KINH, TAY, THAI, MONG, DAO, GIAY, HA_NHI, PHU_LA, XA_PHO)
}

# Ethnic mix of the children of a village, by where it lies: the centre of the commune
# (Kinh and Tày/Giáy in the valley), the middle slopes, the high villages near the border.
# Weights in percent; each household belongs to one group.
VILLAGE_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "urban": (("Kinh", 78), ("Tày", 8), ("Giáy", 5), ("Dao", 3), ("Mông", 3), ("Thái", 3)),
    "centre": (
        ("Kinh", 52),
        ("Giáy", 14),
        ("Tày", 10),
        ("Dao", 9),
        ("Mông", 8),
        ("Thái", 4),
        ("Hà Nhì", 3),
    ),
    "mid": (
        ("Dao", 30),
        ("Giáy", 22),
        ("Mông", 22),
        ("Kinh", 10),
        ("Tày", 8),
        ("Phù Lá", 5),
        ("Xá Phó", 3),
    ),
    "high": (("Mông", 52), ("Dao", 24), ("Hà Nhì", 14), ("Giáy", 4), ("Phù Lá", 4), ("Xá Phó", 2)),
}

# Village names of Bát Xát-like communes, by where they lie. "Thôn" is the usual prefix
# in Lào Cai since the 2019 mergers; a few keep "Bản".
VILLAGE_NAMES: dict[str, tuple[str, ...]] = {
    "centre": (
        "Thôn Làng Mới",
        "Thôn Kim Thành",
        "Thôn Sơn Hà",
        "Thôn Bản Vai",
        "Thôn Bản Lợ",
        "Thôn Cốc Phương",
        "Thôn Bản Trung",
        "Thôn Phú Trung",
        "Thôn Tân Bảo",
        "Thôn Cốc Mỳ",
        "Thôn Bản Vược",
        "Thôn Quang Kim",
        "Thôn Bản Qua",
        "Thôn Trung Đô",
        "Thôn Cánh Chín",
        "Thôn Châu Giàng",
        "Thôn An Quang",
        "Thôn Bản Xèo",
    ),
    "mid": (
        "Thôn Láo Chải",
        "Thôn Nậm Pẻn",
        "Thôn Pa Cheo",
        "Thôn Ná Lùng",
        "Thôn Mường Vi",
        "Thôn Tòng Sành",
        "Thôn Cốc Ngù",
        "Bản Nậm Giàng",
        "Thôn Làng Tòng",
        "Thôn Trung Chải",
        "Thôn Choản Thèn",
        "Thôn Ná Lả",
        "Thôn Ngam Xá",
        "Thôn Cốc Lầy",
        "Thôn Phìn Ngan",
        "Thôn Bản Pho",
        "Thôn Tả Pa Cheo",
        "Bản Mường Hum",
        "Thôn Nậm Pung",
        "Thôn Dền Sáng",
        "Thôn Trịnh Tường",
        "Thôn Bản Tàng",
    ),
    "high": (
        "Thôn Séo Phìn Chư",
        "Thôn Tả Suối Câu",
        "Thôn Ky Quan San",
        "Thôn Lũng Pô",
        "Thôn Ngải Thầu",
        "Thôn Phìn Hồ",
        "Thôn Sín Chải",
        "Thôn Hồng Ngài",
        "Thôn Sảng Chải",
        "Thôn Tung Qua Lìn",
        "Thôn Ngải Trồ",
        "Thôn Lao Chải",
        "Thôn Mò Phú Chải",
        "Thôn Kin Chu Phìn",
        "Thôn Phan Cán Sử",
        "Thôn Sàng Ma Sáo",
        "Thôn Pờ Hồ",
        "Thôn Dền Thàng",
        "Thôn A Lù",
        "Thôn A Mú Sung",
        "Thôn Nhìu Cồ San",
        "Thôn Lũng Sung",
        "Thôn Y Giang",
        "Thôn Phìn Chải",
    ),
}

DISABILITIES = (
    "Khuyết tật vận động",
    "Khuyết tật nghe, nói",
    "Khuyết tật nhìn",
    "Khuyết tật trí tuệ",
    "Khuyết tật học tập",
    "Khuyết tật vận động (chân trái)",
)

HEALTH_NOTES = (
    "Hen phế quản",
    "Suy dinh dưỡng thể thấp còi",
    "Thiếu máu, hay chóng mặt",
    "Cận thị, đeo kính",
    "Dị ứng thức ăn (hải sản)",
    "Động kinh, đang điều trị",
)

# Family situations noted in the census for children who are not in school.
OUT_OF_SCHOOL_NOTES: dict[str, tuple[str, ...]] = {
    "dropped_out": (
        "Bố mẹ đi làm ăn xa, ở với ông bà; nghỉ học từ sau Tết",
        "Nghỉ học ở nhà phụ giúp gia đình làm nương, chăn trâu",
        "Hộ nghèo, nhà xa trường, đường đi lại khó khăn; bỏ học từ học kỳ I",
        "Học lực yếu, chán học, gia đình chưa quan tâm",
        "Theo bố mẹ đi làm thuê theo mùa vụ, chưa quay lại lớp",
        "Ở nhà trông em nhỏ, mẹ ốm dài ngày",
        "Lấy vợ/chồng sớm (tảo hôn), nghỉ học",
        "Mồ côi bố, ở với mẹ; gia đình khó khăn, đi làm thuê",
    ),
    "never": (
        "Khuyết tật vận động nặng, gia đình chưa cho đi học",
        "Nhà ở xa điểm trường, bố mẹ chưa cho đi học",
        "Gia đình di cư tự do, mới đến thôn, chưa làm thủ tục nhập học",
        "Khuyết tật trí tuệ, gia đình chưa biết có lớp hòa nhập",
    ),
    "moved": (
        "Cả gia đình chuyển vào Bình Dương làm công nhân",
        "Theo bố mẹ sang Lai Châu làm thuê",
        "Chuyển đến Hà Nội ở với người thân",
        "Gia đình đi làm công nhân tại Bắc Ninh",
        "Theo mẹ về quê ngoại ở Yên Bái",
    ),
}


def _check_nfc() -> None:
    texts: list[str] = []
    for pool in POOLS.values():
        texts += [pool.group, *pool.families, *pool.male_middles, *pool.female_middles]
        texts += [*pool.male_given, *pool.female_given]
        if ETHNICITY_NAMES.get(pool.code) is None:  # pragma: no cover - data error
            raise ValueError(pool.code)
    for names in VILLAGE_NAMES.values():
        texts += names
    for notes in OUT_OF_SCHOOL_NOTES.values():
        texts += notes
    texts += [*DISABILITIES, *HEALTH_NOTES]
    bad = [t for t in texts if unicodedata.normalize("NFC", t) != t]
    if bad:  # pragma: no cover - data error
        raise ValueError(f"names not NFC: {bad}")


_check_nfc()
