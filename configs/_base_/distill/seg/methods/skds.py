# SKDS ("Structured Knowledge Distillation for Semantic Segmentation", Liu et al., CVPR 2019), all three terms, for
# any pair base (../pairs/), following SKDS's official code (irfanICMLL/structure_knowledge_distillation,
# utils/criterion.py, networks/kd_model.py, run_train_val.sh):
# - pixel-wise: soft cross-entropy between teacher and student class distributions per 1/8-resolution pixel, tau=1.
#   The official CriterionPixelWise sums over the batch and divides by h*w, with lambda_pi=10 at a batch of 8 images
#   on one GPU: 80 per image relative to the batch-mean task loss. mmkd.PixelWiseKDLoss averages over the batch
#   (reduction='mean'), so the row weighs it 10 x 8 = 80: the same loss as the official code for a batch of 8, and
#   the same ratio to the task loss whatever the row's per-GPU batch (reduction='batch_sum' with weight 10 would give
#   20 at 4xb2 and 40 at 4xb4 under DDP's gradient averaging);
# - pair-wise: similarity graph of the penultimate features (conv_seg inputs, recorder `feats`) on max-pooled nodes,
#   kernel = half the map (2x2 nodes, the official pool_scale 0.5), lambda=1 (the paper and the official default;
#   its run script passes 0.5);
# - holistic: WGAN-GP discriminator on the 1/8 logits (adversarial.py). The official code multiplies the generator
#   term, the D loss and the gradient penalty by its single lambda_d=0.1 (lambda_gp=10), and trains D with
#   SGD(lr 4e-4, momentum 0.9, weight decay 5e-4: the run script's) under the same poly decay (power 0.9) as G.
_base_ = ['./adversarial.py']
adversarial_algorithm = dict(
    adversarial_loss=dict(
        type='mmkd.AdversarialKDLoss', adv_type='wgan-gp', generator_weight=0.1, discriminator_weight=0.1,
        gp_weight=10.0))
adversarial_optim_wrapper = dict(
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=4e-4, momentum=0.9, weight_decay=5e-4), clip_grad=None))
distiller = dict(
    distill_losses=dict(
        loss_pixel=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=80.0, reduction='mean'),
        loss_pair=dict(type='mmkd.PairWiseKDLoss', pool_mode='half', loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_pixel=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits')),
        loss_pair=dict(
            feats_S=dict(from_student=True, recorder='feats', data_idx=0),
            feats_T=dict(from_student=False, recorder='feats', data_idx=0))))
