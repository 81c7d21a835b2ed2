//! The demo's guards on 24-hour duty and its three console accounts.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use vigil_domain::RowMeta;
use vigil_store::{Account, Guard, Role};

use crate::{next_id, DemoError, DEMO_PIN, GUARDS};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宁",
    "建国", "志强", "海涛", "晓东", "国庆",
];

pub(crate) fn guards(scale: u32, campus: u32, rng: &mut ChaCha8Rng) -> Vec<Guard> {
    (1..=GUARDS)
        .map(|n| {
            let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
            let given = GIVEN.choose(rng).copied().unwrap_or("伟");
            Guard {
                id: next_id(rng),
                badge: if scale == 1 { format!("G{n:04}") } else { format!("G{:02}{n:04}", campus + 1) },
                name: format!("{surname}{given}"),
                meta: RowMeta::NEW,
            }
        })
        .collect()
}

pub(crate) fn accounts(rng: &mut ChaCha8Rng) -> Result<Vec<Account>, DemoError> {
    [
        ("demo-operator", "张敏", Role::Operator),
        ("demo-supervisor", "李强", Role::Supervisor),
        ("demo-admin", "陈静", Role::Administrator),
    ]
    .into_iter()
    .map(|(name, full_name, role)| {
        let hash = vigil_domain::account::hash_pin(DEMO_PIN, rng.gen());
        Ok(Account {
            id: next_id(rng),
            name: name.into(),
            full_name: full_name.into(),
            role,
            pin_hash: hash,
            disabled: false,
            from_log: false,
            meta: RowMeta::NEW,
        })
    })
    .collect()
}
