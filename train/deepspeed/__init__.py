"""`python -m train.deepspeed`: the name the README and Azure's DeepSpeed jobs use, which lives in
train.pytorch.deepspeed (it builds on train.pytorch)."""
