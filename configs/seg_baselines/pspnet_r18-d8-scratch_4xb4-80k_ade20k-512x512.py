# PSPNet-R18-D8 trained from scratch (no ImageNet pre-training), ADE20K 512x512, 80k iterations: the student row
# of seed 002 Table 1 and the student of its KD rows. The ADE20K R18 row with pretrained=None: the backbone keeps
# mmseg's default random initialisation (no Pretrained init_cfg).
_base_ = './pspnet_r18-d8_4xb4-80k_ade20k-512x512.py'
model = dict(pretrained=None)
