"""DeepSpeed ZeRO as DeepSpeed's examples write it: the engine from ds_config.json, ranks from the environment."""

import argparse

import deepspeed
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import TensorDataset


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--local_rank", type=int, default=-1)
    parser = deepspeed.add_config_arguments(parser)
    args = parser.parse_args()

    deepspeed.init_distributed()
    digits = load_digits()
    dataset = TensorDataset(torch.tensor(digits.data, dtype=torch.float32) / 16.0, torch.tensor(digits.target))
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    engine, _, loader, _ = deepspeed.initialize(args=args, model=model, optimizer=optimizer, training_data=dataset)
    loss_function = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        for features, labels in loader:
            features, labels = features.to(engine.device), labels.to(engine.device)
            loss = loss_function(engine(features), labels)
            engine.backward(loss)
            engine.step()
        if engine.global_rank == 0:
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}", flush=True)
    engine.save_checkpoint("outputs/checkpoints")
    if engine.global_rank == 0:
        with torch.no_grad():
            features, labels = dataset.tensors
            accuracy = (engine(features.to(engine.device)).argmax(1).cpu() == labels).float().mean().item()
        print(f"accuracy {accuracy:.3f}", flush=True)


if __name__ == "__main__":
    main()
