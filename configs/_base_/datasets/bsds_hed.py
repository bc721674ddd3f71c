# BSDS500 with HED's augmented training list only (HED-BSDS/train_pair.lst, no PASCAL-Context half).
_base_ = ['./bsds.py']
train_dataloader = dict(dataset=dict(ann_file='HED-BSDS/train_pair.lst'))
