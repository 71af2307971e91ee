"""A stock single-file DDP training script, as Azure ML's distributed PyTorch examples write them.

It is here to prove that the image runs user scripts that know nothing about trainyard: it reads
WORLD_SIZE/RANK/LOCAL_RANK from the environment, initialises with env://, loads CIFAR-10 with
torchvision (download=False, from --data-dir), shards with DistributedSampler and logs to MLflow.
The tests run it UNMODIFIED; do not add trainyard imports or test hooks to it.
"""

import argparse
import os
import time

import mlflow
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def train(train_loader, model, criterion, optimizer, epoch, device, print_freq, rank):
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(train_loader):
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % print_freq == print_freq - 1:
            print(f"Rank {rank}: [{epoch + 1}, {i + 1}] loss: {running_loss / print_freq:.3f}")
            if rank == 0:
                mlflow.log_metric("loss", running_loss / print_freq)
            running_loss = 0.0


def evaluate(test_loader, model, device):
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            predicted = model(images).argmax(dim=1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / total


def main(args):
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    distributed = world_size > 1

    use_cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", init_method="env://")
        if use_cuda:
            torch.cuda.set_device(local_rank)

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    train_set = torchvision.datasets.CIFAR10(root=args.data_dir, train=True, download=False,
                                             transform=transform)
    test_set = torchvision.datasets.CIFAR10(root=args.data_dir, train=False, download=False,
                                            transform=transform)
    train_sampler = torch.utils.data.distributed.DistributedSampler(train_set) if distributed else None
    train_loader = torch.utils.data.DataLoader(
        train_set, batch_size=args.batch_size, shuffle=(train_sampler is None),
        num_workers=args.workers, sampler=train_sampler)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.batch_size,
                                              shuffle=False, num_workers=args.workers)

    model = Net().to(device)
    if distributed:
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[local_rank] if use_cuda else None)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.learning_rate, momentum=args.momentum)

    start = time.time()
    for epoch in range(args.epochs):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        print(f"Rank {rank}: Starting epoch {epoch}")
        train(train_loader, model, criterion, optimizer, epoch, device, args.print_freq, rank)

    if rank == 0:
        accuracy = evaluate(test_loader, model, device)
        mlflow.log_metric("accuracy", accuracy)
        print(f"Rank 0: accuracy {accuracy:.4f} after {time.time() - start:.1f}s "
              f"with world size {world_size}")
        os.makedirs(args.model_dir, exist_ok=True)
        torch.save(model.state_dict(), os.path.join(args.model_dir, "model.pt"))
        print("Rank 0: finished training")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=str, default="./data")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=0.001)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--print-freq", type=int, default=200)
    parser.add_argument("--model-dir", type=str, default="outputs")
    main(parser.parse_args())
