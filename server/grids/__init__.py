"""The three-level grid 三级网格: sub-district 街道 → community 社区 → grid 网格.

Buildings 楼栋 and storefronts 门店 belong to a grid; each level records its
party organisation (党工委 / 党支部 / 党小组).
"""
