# RM + PFI (AAAI 2022) Table 7: RM + PFI.
_base_ = ['../_base_/distill/det/pairs/retinanet-r101_retinanet-r50_8xb2-18e_voc0712.py']
model = dict(distiller=dict(distill_losses=dict(loss_rm=_base_.loss_rm, loss_pfi=_base_.loss_pfi)))
