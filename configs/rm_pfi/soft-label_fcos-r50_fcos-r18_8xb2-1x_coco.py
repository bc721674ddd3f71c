# RM + PFI (AAAI 2022) Table 2: soft labels.
_base_ = ['../_base_/distill/det/pairs/fcos-r50_fcos-r18_8xb2-1x_coco.py']
model = dict(distiller=dict(distill_losses=dict(loss_kd=_base_.loss_soft_label)))
