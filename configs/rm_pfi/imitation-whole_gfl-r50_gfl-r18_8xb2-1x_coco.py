# RM + PFI (AAAI 2022) Table 5: imitation, whole mask.
_base_ = ['../_base_/distill/det/pairs/gfl-r50_gfl-r18_8xb2-1x_coco.py']
model = dict(distiller=dict(distill_losses=dict(loss_imitation=_base_.loss_imitation_whole)))
