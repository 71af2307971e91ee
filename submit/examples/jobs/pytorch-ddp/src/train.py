"""DDP as Azure's PyTorch examples write it: env:// rendezvous, NCCL, one GPU per process by LOCAL_RANK.

Trains a small classifier on scikit-learn's handwritten digits (in the image; nothing is downloaded),
each process on its shard, and rank 0 logs the accuracy and the model to MLflow.
"""

import argparse
import os

import mlflow
import torch
import torch.distributed as dist
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def datasets():
    digits = load_digits()
    features = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    labels = torch.tensor(digits.target)
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(labels), generator=generator)
    train, test = order[:1500], order[1500:]
    return TensorDataset(features[train], labels[train]), TensorDataset(features[test], labels[test])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    world_size = int(os.environ["WORLD_SIZE"])
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group(backend="nccl")
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    train_set, test_set = datasets()
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).to(device)
    model = nn.parallel.DistributedDataParallel(model, device_ids=[local_rank], output_device=local_rank)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=0.9)
    loss_function = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for features, labels in loader:
            features, labels = features.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_function(model(features), labels)
            loss.backward()
            optimizer.step()
        print(f"Rank {rank}: epoch {epoch + 1} loss {loss.item():.4f}", flush=True)

    if rank == 0:
        model.eval()
        with torch.no_grad():
            features, labels = test_set.tensors
            predicted = model(features.to(device)).argmax(dim=1).cpu()
        accuracy = (predicted == labels).float().mean().item()
        print(f"Accuracy on {len(labels)} held-out digits: {accuracy:.3f}", flush=True)
        mlflow.log_metric("accuracy", accuracy)
        mlflow.pytorch.log_model(model.module, "./model")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
